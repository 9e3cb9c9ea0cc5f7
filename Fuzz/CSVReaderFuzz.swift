// libFuzzer entry point for the CSV reader. `make fuzz` compiles it together with the
// Model and Readers sources (no Yams, no Foundation networking) under ASan.
//
// The first byte picks the profile and the chunk size, so chunk boundaries, dialects and
// all three shapes are explored; the reader must never crash, and its record accounting
// must add up (checked by a precondition in the reader).

private let profiles: [CSVProfile] = {
  var wide = CSVProfile(name: "fuzz-wide", shape: .wide)
  wide.analyte = .cortisol
  wide.unit = .nanomolePerLiter
  wide.columns[.subject] = "subject"
  wide.samples = [
    .init(column: "0", label: "S0", minutes: -30), .init(column: "1", label: "S1", minutes: 30),
  ]
  wide.keep = ["condition"]
  var european = CSVProfile.lisLong
  european.delimiter = UInt8(ascii: ";")
  european.decimalComma = true
  european.dateOrder = .dmy
  european.encoding = .latin1
  european.maxFieldBytes = 64
  var lenient = CSVProfile.researchLong
  lenient.strict = false
  return [.lisLong, .researchLong, wide, european, lenient]
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  let selector = Int(data[0])
  let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
  let profile: CSVProfile? = selector % 6 == 5 ? nil : profiles[selector % 6]
  let chunkSize = [1, 3, 17, 4096][(selector / 6) % 4]
  var samples = 0
  let summary = CSVReader(profile: profile, chunkSize: chunkSize).read(
    bytes: bytes, name: "fuzz.csv", onSample: { _ in samples += 1 })
  precondition(summary.samples == samples, "sample count disagrees with the samples handed out")
  return 0
}
