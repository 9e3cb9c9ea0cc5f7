import Foundation

/// Loads CSV profiles (`Pipelines/profiles/*.yml`) and reports every mistake with its line and key.
///
/// The format is documented in the ReadingExports article under "Profiles".
public enum ProfileLoader {
  /// The profile format version this build reads.
  public static let version = 1

  /// Loads a profile file.
  ///
  /// - Throws: ``ConfigIssues`` listing every mistake, or when the file cannot be read.
  /// A built-in layout by name (`lis-long`, `research-long`), or a profile file.
  ///
  /// - Throws: ``ConfigIssues`` with every mistake of the profile file.
  public static func load(nameOrFile name: String) throws(ConfigIssues) -> CSVProfile {
    switch name {
    case "lis-long": .lisLong
    case "research-long": .researchLong
    default: try load(file: name)
    }
  }

  public static func load(file path: String) throws(ConfigIssues) -> CSVProfile {
    try parse(ConfigReader.text(of: path, what: "profile"), file: path)
  }

  /// Parses profile YAML; `file` names it in messages.
  public static func parse(_ text: String, file: String) throws(ConfigIssues) -> CSVProfile {
    let reader = ConfigReader(file: file)
    let profile = reader.root(text).flatMap(profile)
    try reader.check()
    return profile!
  }

  private static let keys = [
    "version", "name", "shape", "csv", "columns", "keep", "missing", "codes", "specimens",
    "analyte", "specimen", "unit", "anchor", "samples",
  ]

  private static func profile(_ root: ConfigNode) -> CSVProfile? {
    guard let map = root.mapping(allowed: keys) else { return nil }
    if let version = map.required("version"), let number = version.int(), number != self.version {
      version.report("this build reads profile version \(self.version), not \(number)")
    }
    guard let shape = map.required("shape")?.choice(CSVProfile.Shape.self) else { return nil }
    let name =
      map["name"]?.string()
      ?? URL(fileURLWithPath: root.reader.file).deletingPathExtension().lastPathComponent
    var profile = CSVProfile(name: name, shape: shape)
    if let csv = map["csv"] { dialect(csv, into: &profile) }
    if let columns = map["columns"]?.mapping(allowed: CSVProfile.Role.allCases.map(\.rawValue)) {
      for (key, node) in columns.entries {
        if let role = CSVProfile.Role(rawValue: key), let column = node.string() {
          profile.columns[role] = column
        }
      }
    }
    profile.keep = map["keep"]?.strings() ?? []
    if let missing = map["missing"]?.strings() { profile.missingTokens = Set(missing) }
    if let codes = map["codes"] { profile.codes = testCodes(codes) }
    if let specimens = map["specimens"] { profile.specimens = specimenNames(specimens) }
    profile.analyte = map["analyte"].flatMap(analyte)
    profile.specimen = map["specimen"]?.choice(Specimen.self)
    profile.unit = map["unit"].flatMap(unit)
    if let anchor = map["anchor"]?.string() {
      profile.anchor = anchor == "waking" ? .waking : .event(anchor)
    }
    if let samples = map["samples"]?.sequence() { profile.samples = samples.compactMap(wideColumn) }
    if shape == .wide {
      for key in ["analyte", "unit", "samples"] where map[key] == nil {
        root.reader.report(root.line, key, "required for shape 'wide'")
      }
    } else {
      for key in ["samples", "anchor"] where map[key] != nil {
        map[key]!.report("only used by shape 'wide'")
      }
    }
    return profile
  }

  private static func dialect(_ node: ConfigNode, into profile: inout CSVProfile) {
    let keys = [
      "delimiter", "decimal", "encoding", "strict", "date_order", "max_field_bytes",
      "max_line_bytes", "duplicate_columns", "skip_lines", "header_row",
    ]
    guard let csv = node.mapping(allowed: keys) else { return }
    if let delimiter = csv["delimiter"], let text = delimiter.string() {
      switch text {
      case "auto": profile.delimiter = nil
      case ",", ";": profile.delimiter = text.utf8.first
      case "\t", "tab": profile.delimiter = 0x09
      default: delimiter.report("'\(text)' is not one of: auto, \",\", \";\", tab")
      }
    }
    if let decimal = csv["decimal"], let text = decimal.string() {
      switch text {
      case "point": profile.decimalComma = false
      case "comma": profile.decimalComma = true
      default: decimal.report("'\(text)' is not one of: point, comma")
      }
    }
    if let encoding = csv["encoding"]?.choice(TextEncoding.self) { profile.encoding = encoding }
    if let strict = csv["strict"]?.bool() { profile.strict = strict }
    if let order = csv["date_order"]?.choice(DateOrder.self) { profile.dateOrder = order }
    if let limit = csv["max_field_bytes"], let bytes = limit.int() {
      if bytes > 0 { profile.maxFieldBytes = bytes } else { limit.report("must be positive") }
    }
    if let limit = csv["max_line_bytes"], let bytes = limit.int() {
      if bytes > 0 { profile.maxLineBytes = bytes } else { limit.report("must be positive") }
    }
    if let skip = csv["skip_lines"], let lines = skip.int() {
      if lines >= 0 { profile.skipLines = lines } else { skip.report("expected 0 or more lines") }
    }
    if let row = csv["header_row"], let line = row.int() {
      if line < 1 {
        row.report("expected the header's line, counted from 1")
      } else if csv["skip_lines"] != nil, profile.skipLines != line - 1 {
        row.report("header_row \(line) and skip_lines \(profile.skipLines) disagree: give one")
      } else {
        profile.skipLines = line - 1
      }
    }
    if let duplicates = csv["duplicate_columns"], let text = duplicates.string() {
      switch text {
      case "error": profile.firstOfDuplicateColumns = false
      case "first": profile.firstOfDuplicateColumns = true
      default: duplicates.report("'\(text)' is not one of: error, first")
      }
    }
  }

  private static func analyte(_ node: ConfigNode) -> Analyte? {
    guard let text = node.string() else { return nil }
    guard let analyte = Analyte(name: text) else {
      node.report(
        "'\(text)' is not one of: \(Analyte.allCases.map(\.rawValue).joined(separator: ", "))")
      return nil
    }
    return analyte
  }

  private static func unit(_ node: ConfigNode) -> LabUnit? {
    guard let text = node.string() else { return nil }
    guard let unit = LabUnit(text: text) else {
      node.report("unknown unit '\(text)' (UCUM codes such as nmol/L, ug/dL, m[IU]/L)")
      return nil
    }
    return unit
  }

  private static func testCodes(_ node: ConfigNode) -> [String: TestCode] {
    guard case .mapping(let mapping) = node.node else {
      node.report("expected a mapping of local code to {analyte, specimen, qualifier}")
      return [:]
    }
    var codes: [String: TestCode] = [:]
    for (key, value) in mapping {
      let code = key.string ?? "\(key)"
      let entry = ConfigNode(reader: node.reader, node: value, path: node.child(code))
      guard let fields = entry.mapping(allowed: ["analyte", "specimen", "qualifier"]),
        let analyte = fields.required("analyte").flatMap(analyte)
      else { continue }
      codes[code] = TestCode(
        analyte: analyte, specimen: fields["specimen"]?.choice(Specimen.self),
        qualifier: fields["qualifier"]?.string())
    }
    return codes
  }

  private static func specimenNames(_ node: ConfigNode) -> [String: Specimen] {
    guard case .mapping(let mapping) = node.node else {
      node.report("expected a mapping of local specimen name to specimen")
      return [:]
    }
    var names: [String: Specimen] = [:]
    for (key, value) in mapping {
      let name = key.string ?? "\(key)"
      let entry = ConfigNode(reader: node.reader, node: value, path: node.child(name))
      if let specimen = entry.choice(Specimen.self) { names[name] = specimen }
    }
    return names
  }

  private static func wideColumn(_ node: ConfigNode) -> CSVProfile.WideColumn? {
    guard let fields = node.mapping(allowed: ["column", "label", "minutes"]),
      let column = fields.required("column")?.string(),
      let minutes = fields.required("minutes")?.double()
    else { return nil }
    return CSVProfile.WideColumn(
      column: column, label: fields["label"]?.string() ?? column, minutes: minutes)
  }
}
