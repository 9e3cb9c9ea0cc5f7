// libFuzzer entry point for the FHIR and generic JSON readers. `make fuzz` compiles it with
// the Model and Readers sources under ASan, beside the CSV reader's target.
//
// The first byte picks the reader and the chunk size; the readers must never crash, and
// their record accounting must add up (checked by preconditions in the readers).

private let portal: CSVProfile = {
  var profile = CSVProfile.lisLong
  profile.columns[.code] = "test.loinc"
  profile.keep = ["site"]
  return profile
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONReaders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  let selector = Int(data[0])
  let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
  let chunkSize = [1, 5, 64, 1 << 16][(selector / 2) % 4]
  var samples = 0
  let summary =
    selector % 2 == 0
    ? FHIRReader(chunkSize: chunkSize).read(
      bytes: bytes, name: "fuzz.json", onSample: { _ in samples += 1 })
    : JSONRecordsReader(profile: portal, chunkSize: chunkSize).read(
      bytes: bytes, name: "fuzz.json", onSample: { _ in samples += 1 })
  precondition(summary.samples == samples, "sample count disagrees with the samples handed out")
  return 0
}
