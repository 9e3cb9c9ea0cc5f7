// swift-tools-version: 6.2
import PackageDescription

// Our own targets build with warnings as errors; dependencies keep their warnings.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
  name: "NeuroEndo",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "NeuroEndoKit", targets: ["NeuroEndoKit"]),
    .executable(name: "neuroendo", targets: ["neuroendo"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    // `make docs`: the DocC catalogue (Sources/NeuroEndoKit/NeuroEndoKit.docc) built in CI.
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
  ],
  targets: [
    .systemLibrary(name: "CLibCSV", path: "Sources/CLibCSV"),
    .target(
      name: "NeuroEndoKit",
      dependencies: [
        "CLibCSV", .product(name: "Yams", package: "Yams"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
      ],
      exclude: ["Reporters/patient-report.schema.json"],
      swiftSettings: strict
    ),
    .executableTarget(
      name: "neuroendo",
      dependencies: [
        "NeuroEndoKit", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
      ],
      swiftSettings: strict
    ),
    .executableTarget(
      name: "neuroendo-bench",
      dependencies: ["NeuroEndoKit", "CLibCSV"],
      path: "Benchmarks/neuroendo-bench",
      swiftSettings: strict
    ),
    .testTarget(
      name: "NeuroEndoKitTests",
      // swift-mustache: the reference the page templates are rendered against.
      dependencies: ["NeuroEndoKit", .product(name: "Mustache", package: "swift-mustache")],
      exclude: ["Fixtures"],
      swiftSettings: strict),
    .testTarget(
      name: "neuroendoTests", dependencies: ["neuroendo", "NeuroEndoKit"], exclude: ["Golden"],
      swiftSettings: strict),
  ],
  swiftLanguageModes: [.v6]
)
