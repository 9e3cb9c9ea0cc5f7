"""Parses every FHIR bundle NeuroEndo wrote with the FHIR R4 (4.0.1) models of
fhir.resources 6.0.0 (6.5 is R4B, 7 and later R5): a bundle that does not parse, or whose
resources lack what a hospital system files them by, fails the check.

Checked beyond parsing: one LOINC-coded DiagnosticReport referencing every Observation;
each Observation LOINC-coded with a display (58643-8 aside) and text, a UCUM quantity at
reporting precision (no float artifacts such as 0.9688800000000001), an effectiveDateTime,
a Specimen it references inside the bundle, v3 interpretation codes; every id an RFC 4122
version 5 UUID; no local path in any text.

Run: python validate-fhir.py out/sample/reports/patients/*.fhir.json
"""
import json
import re
import sys

import fhir.resources
from fhir.resources.bundle import Bundle

assert fhir.resources.__fhir_version__ == "4.0.1", fhir.resources.__fhir_version__

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
UUID5 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

failures = 0
for path in sys.argv[1:]:
    try:
        text = open(path, encoding="utf-8").read()
        assert not re.search(r"(/tmp/|/home/|/work/|/var/|[A-Za-z]:\\\\)", text), "a local path"
        for number in re.findall(r'"value"\s*:\s*(-?[0-9.eE+-]+)', text):
            digits = number.split(".")[1] if "." in number else ""
            assert len(digits) <= 6, f"a float artifact: {number}"
        bundle = Bundle.parse_raw(text)
        resources = [entry.resource for entry in bundle.entry]
        for entry in bundle.entry:
            assert UUID5.match(entry.resource.id), f"not a version 5 UUID: {entry.resource.id}"
            assert entry.fullUrl == f"urn:uuid:{entry.resource.id}", "fullUrl"
        reports = [r for r in resources if r.resource_type == "DiagnosticReport"]
        observations = [r for r in resources if r.resource_type == "Observation"]
        specimens = {f"urn:uuid:{r.id}" for r in resources if r.resource_type == "Specimen"}
        assert len(reports) == 1, "one DiagnosticReport"
        report = reports[0]
        assert report.code.coding[0].system == "http://loinc.org", "LOINC-coded report"
        assert report.code.coding[0].display, "report code display"
        assert report.conclusion, "a conclusion"
        assert len(report.result) == len(observations) > 0, "every Observation referenced"
        for observation in observations:
            coding = observation.code.coding[0]
            assert coding.system == "http://loinc.org", "LOINC code"
            assert coding.display or coding.code == "58643-8", f"display of {coding.code}"
            assert observation.code.text, "code text"
            assert observation.effectiveDateTime, "effectiveDateTime"
            assert observation.specimen and observation.specimen.reference in specimens, "specimen"
            quantity = observation.valueQuantity
            assert quantity.system == "http://unitsofmeasure.org" and quantity.code, "UCUM unit"
            for concept in observation.interpretation or []:
                assert concept.coding[0].system == INTERPRETATION, "v3 interpretation"
    except Exception as error:  # noqa: BLE001 - report every file, then fail
        failures += 1
        print(f"{path}: {error}")
print(f"{len(sys.argv) - 1 - failures} passed, {failures} failed (fhir.resources {fhir.resources.__version__}, FHIR {fhir.resources.__fhir_version__})")
sys.exit(1 if failures else 0)
