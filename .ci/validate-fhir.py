"""Parses every FHIR bundle NeuroEndo wrote with the FHIR R4 models of fhir.resources 6.5
(R4, 4.0.1): a bundle that does not parse, or whose DiagnosticReport or Observations lack
what a hospital system files them by, fails the check.

Run: python validate-fhir.py out/sample/reports/patients/*.fhir.json
"""
import sys

from fhir.resources.bundle import Bundle

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"

failures = 0
for path in sys.argv[1:]:
    try:
        bundle = Bundle.parse_file(path)
        resources = [entry.resource for entry in bundle.entry]
        reports = [r for r in resources if r.resource_type == "DiagnosticReport"]
        observations = [r for r in resources if r.resource_type == "Observation"]
        assert len(reports) == 1, "one DiagnosticReport"
        report = reports[0]
        assert report.code.coding[0].system == "http://loinc.org", "LOINC-coded report"
        assert report.conclusion, "a conclusion"
        assert len(report.result) == len(observations) > 0, "every Observation referenced"
        for observation in observations:
            assert observation.code.coding[0].system == "http://loinc.org", "LOINC code"
            quantity = observation.valueQuantity
            assert quantity.system == "http://unitsofmeasure.org" and quantity.code, "UCUM unit"
            for concept in observation.interpretation or []:
                assert concept.coding[0].system == INTERPRETATION, "v3 interpretation"
    except Exception as error:  # noqa: BLE001 - report every file, then fail
        failures += 1
        print(f"{path}: {error}")
print(f"{len(sys.argv) - 1 - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
