import Foundation

/// Samples in column buffers: one array per field, texts (subjects, files, columns, labels,
/// codes, attribute names and values) numbered once in a table of their own, codes and
/// times as numbers, which optional fields a sample has as bits. A sample costs about 90
/// bytes and no allocation of its own; ``sample(at:)`` makes the record back, equal field
/// for field.
///
/// The fields most samples lack (a time zone, a wake time, a reference range, a JSON line
/// and path) sit in a side table that only the samples having one point into.
struct SampleColumns: Sendable {
  /// Which optional fields a sample has, one bit each.
  struct Present: OptionSet, Sendable {
    let rawValue: UInt16
    static let collected = Present(rawValue: 1)
    static let offset = Present(rawValue: 2)
    static let relativeTime = Present(rawValue: 4)
    static let day = Present(rawValue: 8)
    static let label = Present(rawValue: 16)
    static let testCode = Present(rawValue: 32)
    static let qualifier = Present(rawValue: 64)
    static let record = Present(rawValue: 128)
    static let column = Present(rawValue: 256)
    static let rare = Present(rawValue: 512)
    /// Every bit a sample may have.
    static let all = Present(rawValue: 1023)
  }

  /// The fields few samples have, for those that have any.
  struct Rare: Sendable, Equatable {
    /// The text number of the time zone, or -1.
    var timeZone: Int32 = -1
    var wake: CollectionTime?
    var referenceRange: ReferenceRange?
    var line: Int?
    /// The text number of the JSON path, or -1.
    var path: Int32 = -1
  }

  /// The texts the columns refer to, by number.
  private(set) var texts: [String] = []
  /// Texts are numbered by their exact bytes: `String` equality would make two spellings
  /// of one text (composed and decomposed accents) one text, and a sample would read back
  /// with the other's bytes.
  private var numbers: [ExactText: Int32] = [:]
  /// The last text numbered in each slot (subject, file, column, others): samples come by
  /// subject and file, and a comparison is cheaper than hashing.
  private var recent: [(text: String, number: Int32)?] = Array(repeating: nil, count: 4)
  /// The last labels numbered: a protocol's few labels recur in turn.
  private var recentLabels: [(text: String, number: Int32)] = []

  /// Each sample's place in the run's read order.
  var sequence: [Int] = []
  /// Text numbers of the subject, the file and the column (-1: none).
  var subject: [Int32] = []
  var file: [Int32] = []
  var column: [Int32] = []
  /// The record number in its file (meaningful with ``Present/record``).
  var record: [Int32] = []
  /// Analyte, specimen, unit and censoring, as their place in `allCases`, one byte each.
  var codes: [UInt32] = []
  /// The value as reported.
  var value: [Double] = []
  var present: [Present] = []
  /// The collection time, with ``Present/collected``; its offset with ``Present/offset``.
  var collected: [LocalDateTime] = []
  var offset: [Int] = []
  /// Minutes of a relative time, and its anchor: -1 waking, else the event's text number.
  var relativeMinutes: [Double] = []
  var relativeAnchor: [Int32] = []
  var day: [Int] = []
  /// Text numbers of the label, test code and qualifier (-1: none).
  var label: [Int32] = []
  var testCode: [Int32] = []
  var qualifier: [Int32] = []
  /// Each sample's attributes: `attributes[attributeStart[i]..<attributeStart[i + 1]]`,
  /// name and value text numbers in turn.
  var attributeStart: [Int32] = [0]
  var attributes: [Int32] = []
  /// With ``Present/rare``: the sample's entry in ``rare``.
  var rareIndex: [Int32] = []
  var rare: [Rare] = []

  static let analytes = Analyte.allCases
  static let specimens = Specimen.allCases
  static let units = LabUnit.allCases
  static let censorings = Censoring.allCases

  /// The number of samples.
  var count: Int { sequence.count }

  /// Reserves room for `count` samples.
  mutating func reserve(_ count: Int) {
    sequence.reserveCapacity(count)
    subject.reserveCapacity(count)
    file.reserveCapacity(count)
    column.reserveCapacity(count)
    record.reserveCapacity(count)
    codes.reserveCapacity(count)
    value.reserveCapacity(count)
    present.reserveCapacity(count)
    collected.reserveCapacity(count)
    offset.reserveCapacity(count)
    relativeMinutes.reserveCapacity(count)
    relativeAnchor.reserveCapacity(count)
    day.reserveCapacity(count)
    label.reserveCapacity(count)
    testCode.reserveCapacity(count)
    qualifier.reserveCapacity(count)
    attributeStart.reserveCapacity(count + 1)
    rareIndex.reserveCapacity(count)
  }

  /// Forgets every sample and text, keeping the buffers' room.
  mutating func removeAll() {
    texts.removeAll(keepingCapacity: true)
    numbers.removeAll(keepingCapacity: true)
    for slot in recent.indices { recent[slot] = nil }
    recentLabels.removeAll(keepingCapacity: true)
    sequence.removeAll(keepingCapacity: true)
    subject.removeAll(keepingCapacity: true)
    file.removeAll(keepingCapacity: true)
    column.removeAll(keepingCapacity: true)
    record.removeAll(keepingCapacity: true)
    codes.removeAll(keepingCapacity: true)
    value.removeAll(keepingCapacity: true)
    present.removeAll(keepingCapacity: true)
    collected.removeAll(keepingCapacity: true)
    offset.removeAll(keepingCapacity: true)
    relativeMinutes.removeAll(keepingCapacity: true)
    relativeAnchor.removeAll(keepingCapacity: true)
    day.removeAll(keepingCapacity: true)
    label.removeAll(keepingCapacity: true)
    testCode.removeAll(keepingCapacity: true)
    qualifier.removeAll(keepingCapacity: true)
    attributeStart.removeAll(keepingCapacity: true)
    attributeStart.append(0)
    attributes.removeAll(keepingCapacity: true)
    rareIndex.removeAll(keepingCapacity: true)
    rare.removeAll(keepingCapacity: true)
  }

  /// Gives each subject the id `newID` makes of it (a pseudonym), asked in row order once
  /// per run of rows with the same id (as a reader asks for each sample's, `newID` may keep
  /// the last answer for an equal id): the other texts (a label equal to an id) keep theirs.
  mutating func renameSubjects(_ newID: (String) -> String) {
    // The new ids are numbered like any text; the old ids' texts stay, for the other
    // fields that may hold them.
    var last: (from: Int32, to: Int32)?
    for index in subject.indices {
      let old = subject[index]
      if let last, last.from == old {
        subject[index] = last.to
        continue
      }
      let new = number(newID(texts[Int(old)]), slot: 0)
      subject[index] = new
      last = (old, new)
    }
  }

  /// A text compared and hashed by its exact UTF-8 bytes.
  struct ExactText: Hashable {
    var text: String

    init(_ text: String) { self.text = text }

    static func == (lhs: ExactText, rhs: ExactText) -> Bool { same(lhs.text, rhs.text) }

    func hash(into hasher: inout Hasher) {
      var text = text
      text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Whether two texts are the same two words (one storage, or the same bytes held in
    /// place), which makes them the same text: a record's file and column, a protocol's
    /// labels, recur as such. False says nothing.
    static func identical(_ lhs: String, _ rhs: String) -> Bool {
      MemoryLayout<String>.size == 16
        && unsafeBitCast(lhs, to: (UInt64, UInt64).self)
          == unsafeBitCast(rhs, to: (UInt64, UInt64).self)
    }

    /// Whether two texts that may be missing are both missing, or have the same bytes.
    static func same(_ lhs: String?, _ rhs: String?) -> Bool {
      switch (lhs, rhs) {
      case (nil, nil): true
      case (let lhs?, let rhs?): same(lhs, rhs)
      default: false
      }
    }

    /// ``identical(_:_:)`` of texts that may be missing: both missing, or identical.
    static func identical(_ lhs: String?, _ rhs: String?) -> Bool {
      switch (lhs, rhs) {
      case (nil, nil): true
      case (let lhs?, let rhs?): identical(lhs, rhs)
      default: false
      }
    }

    /// Whether two texts have the same bytes.
    static func same(_ lhs: String, _ rhs: String) -> Bool {
      if identical(lhs, rhs) { return true }
      // Equal bytes are equal texts: `==` first, which tells most unequal texts apart
      // from their stored words alone, then the bytes of the few it finds equal.
      guard lhs == rhs else { return false }
      var (lhs, rhs) = (lhs, rhs)
      return lhs.withUTF8 { left in
        rhs.withUTF8 { right in
          left.count == right.count
            && (left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
        }
      }
    }
  }

  /// The number of a text, numbering it when new. `slot`: the field's place among the last
  /// texts numbered.
  private mutating func number(_ text: String, slot: Int = 3) -> Int32 {
    if let last = recent[slot], ExactText.same(last.text, text) { return last.number }
    let number: Int32
    if let known = numbers[ExactText(text)] {
      number = known
    } else {
      number = Int32(texts.count)
      texts.append(text)
      numbers[ExactText(text)] = number
    }
    recent[slot] = (text, number)
    return number
  }

  /// Appends a sample and its place in the run's read order.
  mutating func append(_ sample: Sample, sequence place: Int) {
    append(sample.allFields, sequence: place)
  }

  /// Appends a sample's fields (a reader's, without a sample) and its place in the run's
  /// read order.
  mutating func append(_ sample: Sample.Fields, sequence place: Int) {
    var has: Present = []
    sequence.append(place)
    subject.append(number(sample.subjectID, slot: 0))
    let location = sample.provenance
    file.append(number(location.file, slot: 1))
    if let name = location.column {
      has.insert(.column)
      column.append(number(name, slot: 2))
    } else {
      column.append(-1)
    }
    if let number = location.record {
      has.insert(.record)
      record.append(Int32(clamping: number))
    } else {
      record.append(0)
    }
    let quantity = sample.quantity
    codes.append(
      UInt32(sample.analyte.caseCode) | UInt32(sample.specimen.caseCode) << 8
        | UInt32(quantity.unit.caseCode) << 16 | UInt32(quantity.censoring.caseCode) << 24)
    value.append(quantity.value)
    if let time = sample.collected {
      has.insert(.collected)
      collected.append(time.local)
      if let seconds = time.utcOffsetSeconds {
        has.insert(.offset)
        offset.append(seconds)
      } else {
        offset.append(0)
      }
    } else {
      collected.append(LocalDateTime(year: 0, month: 0, day: 0))
      offset.append(0)
    }
    if let relative = sample.relativeTime {
      has.insert(.relativeTime)
      relativeMinutes.append(relative.minutes)
      switch relative.anchor {
      case .waking: relativeAnchor.append(-1)
      case .event(let name): relativeAnchor.append(number(name))
      }
    } else {
      relativeMinutes.append(0)
      relativeAnchor.append(-1)
    }
    if sample.day != nil { has.insert(.day) }
    day.append(sample.day ?? 0)
    if let text = sample.label {
      has.insert(.label)
      label.append(labelNumber(text))
    } else {
      label.append(-1)
    }
    testCode.append(optional(sample.testCode, .testCode, &has))
    qualifier.append(optional(sample.qualifier, .qualifier, &has))
    for (name, text) in sample.attributes {
      attributes.append(number(name))
      attributes.append(number(text))
    }
    attributeStart.append(Int32(attributes.count))
    var entry = Rare()
    if let zone = sample.timeZone { entry.timeZone = number(zone) }
    entry.wake = sample.wake
    entry.referenceRange = sample.referenceRange
    entry.line = location.line
    if let path = location.path { entry.path = number(path) }
    if entry != Rare() {
      has.insert(.rare)
      rareIndex.append(Int32(rare.count))
      rare.append(entry)
    } else {
      rareIndex.append(-1)
    }
    present.append(has)
  }

  /// The number of a label: a protocol's few labels recur in turn, and are looked for
  /// among the last ones first.
  private mutating func labelNumber(_ text: String) -> Int32 {
    // The identical label first: comparing the bytes of each label before it costs more
    // than a look at the words of all (a label is among the recent ones once by its bytes).
    if let known = recentLabels.first(where: { ExactText.identical($0.text, text) })
      ?? recentLabels.first(where: { ExactText.same($0.text, text) })
    {
      return known.number
    }
    let number = number(text)
    if recentLabels.count == 16 { recentLabels.removeFirst() }
    recentLabels.append((text, number))
    return number
  }

  /// The texts of a research record that each of its values shares, numbered once
  /// (``recordTexts(subject:file:label:attributes:timeZone:)``): valid until the columns
  /// forget their texts (``removeAll()``).
  struct RecordTexts {
    var subject: Int32
    var file: Int32
    /// -1: none.
    var label: Int32
    /// Name and value text numbers in turn.
    var attributes: [Int32]
    /// -1: none.
    var timeZone: Int32
  }

  /// Numbers the texts of a research record once, for each of its values
  /// (``append(value:analyte:specimen:column:record:minutes:day:texts:)``).
  mutating func recordTexts(
    subject: String, file: String, label: String?, attributes: [String: String],
    timeZone: String?
  ) -> RecordTexts {
    var pairs: [Int32] = []
    if !attributes.isEmpty {
      pairs.reserveCapacity(attributes.count * 2)
      for (name, text) in attributes {
        pairs.append(number(name))
        pairs.append(number(text))
      }
    }
    return RecordTexts(
      subject: number(subject, slot: 0), file: number(file, slot: 1),
      label: label.map { labelNumber($0) } ?? -1, attributes: pairs,
      timeZone: timeZone.map { number($0) } ?? -1)
  }

  /// Appends one value of a research record whose shared texts are numbered: the same
  /// columns as ``append(_:sequence:)`` of the sample the record's fields would make (a
  /// collection time, test code, qualifier, wake, range, line or path it never has), at
  /// place 0 in the read order.
  mutating func append(
    value quantity: Quantity, analyte: Analyte, specimen: Specimen, column name: String,
    record number: Int, minutes: Double?, day given: Int?, texts: RecordTexts
  ) {
    var has: Present = [.column, .record]
    sequence.append(0)
    subject.append(texts.subject)
    file.append(texts.file)
    column.append(self.number(name, slot: 2))
    record.append(Int32(clamping: number))
    codes.append(
      UInt32(analyte.caseCode) | UInt32(specimen.caseCode) << 8
        | UInt32(quantity.unit.caseCode) << 16 | UInt32(quantity.censoring.caseCode) << 24)
    value.append(quantity.value)
    collected.append(LocalDateTime(year: 0, month: 0, day: 0))
    offset.append(0)
    if minutes != nil { has.insert(.relativeTime) }
    relativeMinutes.append(minutes ?? 0)
    relativeAnchor.append(-1)
    if given != nil { has.insert(.day) }
    day.append(given ?? 0)
    if texts.label >= 0 { has.insert(.label) }
    label.append(texts.label)
    testCode.append(-1)
    qualifier.append(-1)
    // Not appended when empty: appending no elements still makes an empty array storage
    // of its own, once per sample.
    if !texts.attributes.isEmpty { attributes.append(contentsOf: texts.attributes) }
    attributeStart.append(Int32(attributes.count))
    if texts.timeZone >= 0 {
      has.insert(.rare)
      rareIndex.append(Int32(rare.count))
      rare.append(Rare(timeZone: texts.timeZone))
    } else {
      rareIndex.append(-1)
    }
    present.append(has)
  }

  /// The numbers here of another columns' texts, for ``append(row:of:map:sequence:)``:
  /// valid while neither side forgets its texts (``removeAll()``), forgotten all at once by
  /// ``reset(count:)`` (a stamp per entry, not a pass over them).
  struct TextMap {
    private var numbers: [Int32] = []
    private var stamps: [UInt32] = []
    private var stamp: UInt32 = 1

    /// Forgets every number, for another columns of `count` texts.
    mutating func reset(count: Int) {
      if numbers.count < count {
        numbers.append(contentsOf: repeatElement(0, count: count - numbers.count))
        stamps.append(contentsOf: repeatElement(0, count: count - stamps.count))
      }
      stamp &+= 1
      if stamp == 0 {
        for index in stamps.indices { stamps[index] = 0 }
        stamp = 1
      }
    }

    /// The number here of the other's text `number`, once set since the last reset.
    subscript(_ number: Int) -> Int32? { stamps[number] == stamp ? numbers[number] : nil }

    /// Sets the number here of the other's text `number`.
    mutating func set(_ number: Int, to mine: Int32) {
      numbers[number] = mine
      stamps[number] = stamp
    }
  }

  /// Appends the sample at `row` of `other` as it is, column by column, with its place in
  /// the run's read order: no sample or text is made. `map` holds the numbers here of
  /// `other`'s texts already numbered, reset for `other` (``TextMap/reset(count:)``) and
  /// kept while neither side forgets its texts (``removeAll()``).
  mutating func append(
    row: Int, of other: SampleColumns, map: inout TextMap, sequence place: Int
  ) {
    func text(_ number: Int32) -> Int32 {
      guard number >= 0 else { return -1 }
      if let known = map[Int(number)] { return known }
      let mine = self.number(other.texts[Int(number)])
      map.set(Int(number), to: mine)
      return mine
    }
    let has = other.present[row]
    sequence.append(place)
    subject.append(text(other.subject[row]))
    file.append(text(other.file[row]))
    column.append(text(other.column[row]))
    record.append(other.record[row])
    codes.append(other.codes[row])
    value.append(other.value[row])
    collected.append(other.collected[row])
    offset.append(other.offset[row])
    relativeMinutes.append(other.relativeMinutes[row])
    relativeAnchor.append(text(other.relativeAnchor[row]))
    day.append(other.day[row])
    label.append(text(other.label[row]))
    testCode.append(text(other.testCode[row]))
    qualifier.append(text(other.qualifier[row]))
    for pair in Int(other.attributeStart[row])..<Int(other.attributeStart[row + 1]) {
      attributes.append(text(other.attributes[pair]))
    }
    attributeStart.append(Int32(attributes.count))
    if has.contains(.rare) {
      var entry = other.rare[Int(other.rareIndex[row])]
      entry.timeZone = text(entry.timeZone)
      entry.path = text(entry.path)
      rareIndex.append(Int32(rare.count))
      rare.append(entry)
    } else {
      rareIndex.append(-1)
    }
    present.append(has)
  }

  private mutating func optional(_ text: String?, _ bit: Present, _ has: inout Present) -> Int32 {
    guard let text else { return -1 }
    has.insert(bit)
    return number(text)
  }

  /// The sample at `index`, as it was appended.
  func sample(at index: Int) -> Sample { Sample(fields: fields(at: index)) }

  /// The fields of the sample at `index`, as they were appended.
  func fields(at index: Int) -> Sample.Fields {
    let has = present[index]
    func text(_ number: Int32) -> String? { number < 0 ? nil : texts[Int(number)] }
    let code = codes[index]
    var relative: RelativeTime?
    if has.contains(.relativeTime) {
      let anchor = relativeAnchor[index]
      relative = RelativeTime(
        minutes: relativeMinutes[index],
        anchor: anchor < 0 ? .waking : .event(texts[Int(anchor)]))
    }
    var named: [String: String] = [:]
    let pairs = Int(attributeStart[index])..<Int(attributeStart[index + 1])
    if !pairs.isEmpty {
      named.reserveCapacity(pairs.count / 2)
      for pair in stride(from: pairs.lowerBound, to: pairs.upperBound, by: 2) {
        named[texts[Int(attributes[pair])]] = texts[Int(attributes[pair + 1])]
      }
    }
    let entry = has.contains(.rare) ? rare[Int(rareIndex[index])] : Rare()
    return Sample.Fields(
      subjectID: texts[Int(subject[index])],
      analyte: Self.analytes[Int(code & 0xFF)], specimen: Self.specimens[Int(code >> 8 & 0xFF)],
      quantity: Quantity(
        value: value[index], unit: Self.units[Int(code >> 16 & 0xFF)],
        censoring: Self.censorings[Int(code >> 24)]),
      collected: has.contains(.collected)
        ? CollectionTime(
          local: collected[index], utcOffsetSeconds: has.contains(.offset) ? offset[index] : nil)
        : nil,
      timeZone: text(entry.timeZone), wake: entry.wake, relativeTime: relative,
      day: has.contains(.day) ? day[index] : nil,
      label: text(label[index]), referenceRange: entry.referenceRange,
      testCode: text(testCode[index]), qualifier: text(qualifier[index]), attributes: named,
      provenance: InputLocation(
        file: texts[Int(file[index])],
        record: has.contains(.record) ? Int(record[index]) : nil, column: text(column[index]),
        line: entry.line, path: text(entry.path)))
  }
}

extension SampleColumns {
  /// A chunk of samples that does not decode.
  struct Damaged: Error {}

  /// The columns as bytes, for ``init(bytes:)`` in the same process (a run's scratch files):
  /// counts, the texts, then each column's memory as it is (a column whose values are all alike
  /// as one value), then the rare fields.
  func encoded(into buffer: inout [UInt8]) {
    func word(_ value: Int) {
      withUnsafeBytes(of: UInt32(value).littleEndian) { buffer.append(contentsOf: $0) }
    }
    func raw<Element: BitwiseCopyable>(_ values: [Element]) {
      values.withUnsafeBytes { buffer.append(contentsOf: $0) }
    }
    /// A column: 0 and one value when every value is that one (a file, a code, a field
    /// no sample has), else 1 and every value.
    func packed<Element: BitwiseCopyable>(_ values: [Element]) {
      // Every value equals the first exactly when the bytes equal themselves one value
      // further on: one comparison of the column with itself, shifted.
      let same = values.withUnsafeBytes { bytes in
        let size = MemoryLayout<Element>.stride
        return values.count > 0
          && memcmp(bytes.baseAddress!, bytes.baseAddress! + size, bytes.count - size) == 0
      }
      buffer.append(same ? 0 : 1)
      raw(same ? [values[0]] : values)
    }
    word(count)
    word(texts.count)
    word(attributes.count)
    word(rare.count)
    for var text in texts {
      text.withUTF8 { bytes in
        word(bytes.count)
        buffer.append(contentsOf: bytes)
      }
    }
    packed(sequence)
    packed(subject)
    packed(file)
    packed(column)
    packed(record)
    packed(codes)
    packed(value)
    packed(present.map(\.rawValue))
    packed(collected)
    packed(offset)
    packed(relativeMinutes)
    packed(relativeAnchor)
    packed(day)
    packed(label)
    packed(testCode)
    packed(qualifier)
    packed(attributeStart)
    raw(attributes)
    packed(rareIndex)
    for entry in rare {
      raw([entry.timeZone, entry.path])
      let parts: UInt8 =
        (entry.wake == nil ? 0 : 1) | (entry.wake?.utcOffsetSeconds == nil ? 0 : 2)
        | (entry.referenceRange == nil ? 0 : 4) | (entry.referenceRange?.low == nil ? 0 : 8)
        | (entry.referenceRange?.high == nil ? 0 : 16)
        | (entry.referenceRange?.unit == nil ? 0 : 32) | (entry.line == nil ? 0 : 64)
      buffer.append(parts)
      if let wake = entry.wake {
        raw([wake.local])
        if let seconds = wake.utcOffsetSeconds { raw([seconds]) }
      }
      if let range = entry.referenceRange {
        if let low = range.low { raw([low]) }
        if let high = range.high { raw([high]) }
        if let unit = range.unit { buffer.append(unit.caseCode) }
      }
      if let line = entry.line { raw([line]) }
    }
  }

  /// The most samples ``init(bytes:)`` takes from one chunk of bytes.
  static let mostRowsDecoded = 1 << 16

  /// Columns from the bytes ``encoded(into:)`` wrote; every number that refers to a text, a
  /// code or an entry is checked, so that damaged bytes throw instead of trapping later.
  init(bytes: UnsafeRawBufferPointer) throws(Damaged) {
    var cursor = Cursor(bytes: bytes)
    let rows = try cursor.word()
    // A column of one repeated value takes a few bytes for any number of rows: the rows
    // are bounded, so that damaged counts cannot ask for gigabytes.
    guard rows <= Self.mostRowsDecoded else { throw Damaged() }
    let textCount = try cursor.word()
    let attributeCount = try cursor.word()
    let rareCount = try cursor.word()
    texts.reserveCapacity(min(textCount, bytes.count))
    for _ in 0..<textCount { texts.append(try cursor.text()) }
    sequence = try cursor.packed(rows)
    subject = try cursor.packed(rows)
    file = try cursor.packed(rows)
    column = try cursor.packed(rows)
    record = try cursor.packed(rows)
    codes = try cursor.packed(rows)
    value = try cursor.packed(rows)
    present = (try cursor.packed(rows) as [UInt16]).map(Present.init(rawValue:))
    collected = try cursor.packed(rows)
    offset = try cursor.packed(rows)
    relativeMinutes = try cursor.packed(rows)
    relativeAnchor = try cursor.packed(rows)
    day = try cursor.packed(rows)
    label = try cursor.packed(rows)
    testCode = try cursor.packed(rows)
    qualifier = try cursor.packed(rows)
    attributeStart = try cursor.packed(rows + 1)
    attributes = try cursor.column(attributeCount)
    rareIndex = try cursor.packed(rows)
    let textRange = -1..<Int32(textCount)
    func check(_ numbers: [Int32], optional: Bool) throws(Damaged) {
      let range = optional ? textRange : 0..<Int32(textCount)
      guard numbers.allSatisfy(range.contains) else { throw Damaged() }
    }
    rare.reserveCapacity(min(rareCount, bytes.count))
    for _ in 0..<rareCount {
      let numbers: [Int32] = try cursor.column(2)
      try check(numbers, optional: true)
      var entry = Rare(timeZone: numbers[0], path: numbers[1])
      let parts = try cursor.byte()
      if parts & 1 != 0 {
        let local: [LocalDateTime] = try cursor.column(1)
        entry.wake = CollectionTime(
          local: local[0],
          utcOffsetSeconds: parts & 2 != 0 ? (try cursor.column(1) as [Int])[0] : nil)
      }
      if parts & 4 != 0 {
        let low = parts & 8 != 0 ? (try cursor.column(1) as [Double])[0] : nil
        let high = parts & 16 != 0 ? (try cursor.column(1) as [Double])[0] : nil
        var unit: LabUnit?
        if parts & 32 != 0 {
          let code = Int(try cursor.byte())
          guard code < Self.units.count else { throw Damaged() }
          unit = Self.units[code]
        }
        entry.referenceRange = ReferenceRange(low: low, high: high, unit: unit)
      }
      if parts & 64 != 0 { entry.line = (try cursor.column(1) as [Int])[0] }
      rare.append(entry)
    }
    guard cursor.atEnd else { throw Damaged() }
    try check(subject, optional: false)
    try check(file, optional: false)
    try check(attributes, optional: false)
    for numbers in [column, relativeAnchor, label, testCode, qualifier] {
      try check(numbers, optional: true)
    }
    let limits: [UInt32] = [
      UInt32(Self.analytes.count), UInt32(Self.specimens.count), UInt32(Self.units.count),
      UInt32(Self.censorings.count),
    ]
    guard
      codes.allSatisfy({ code in
        (0..<4).allSatisfy { code >> (8 * UInt32($0)) & 0xFF < limits[$0] }
      }), present.allSatisfy({ Present.all.isSuperset(of: $0) }),
      attributeStart.first == 0, attributeStart.last == Int32(attributeCount),
      zip(attributeStart, attributeStart.dropFirst()).allSatisfy({ $0 <= $1 && ($1 - $0) % 2 == 0 }
      ),
      zip(present, rareIndex).allSatisfy({
        !$0.contains(.rare) || (0..<Int32(rareCount)).contains($1)
      })
    else { throw Damaged() }
  }

  /// Bytes read in order; reading past the end throws.
  private struct Cursor {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    var atEnd: Bool { index == bytes.count }

    mutating func byte() throws(Damaged) -> UInt8 {
      guard index < bytes.count else { throw Damaged() }
      defer { index += 1 }
      return bytes[index]
    }

    mutating func word() throws(Damaged) -> Int {
      let values: [UInt32] = try column(1)
      return Int(UInt32(littleEndian: values[0]))
    }

    mutating func text() throws(Damaged) -> String {
      let length = try word()
      guard length <= bytes.count - index else { throw Damaged() }
      defer { index += length }
      return String(
        decoding: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + length)]), as: UTF8.self)
    }

    /// A column ``encoded(into:)`` packed: one value repeated, or every value.
    mutating func packed<Element: BitwiseCopyable>(_ count: Int) throws(Damaged) -> [Element] {
      switch try byte() {
      case 0:
        let one: [Element] = try column(1)
        return Array(repeating: one[0], count: count)
      case 1: return try column(count)
      default: throw Damaged()
      }
    }

    /// `count` values of a column, copied from their bytes.
    mutating func column<Element: BitwiseCopyable>(_ count: Int) throws(Damaged) -> [Element] {
      let (size, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
      guard !overflow, size <= bytes.count - index else { throw Damaged() }
      defer { index += size }
      return [Element](unsafeUninitializedCapacity: count) { buffer, initialized in
        if size > 0 {
          UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(
            from: bytes.baseAddress! + index, byteCount: size)
        }
        initialized = count
      }
    }
  }
}
