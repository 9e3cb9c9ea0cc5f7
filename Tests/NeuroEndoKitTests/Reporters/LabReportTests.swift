import Foundation
import Testing

@testable import NeuroEndoKit

/// One patient as a lab exports it: two thyroid draws half a year apart, a morning cortisol
/// in µg/dL with the lab's range and ACTH, and a CAR-only salivary day (five samples in the
/// first hour, which no cosinor can fit).
private let lab: (report: PatientReport, markdown: String, html: String) = {
  let scratch = try! Scratch("lab-report")
  let header =
    "patient_id,sex,birth_date,medication,test_code,value,unit,collected_at,comment,reference_range,wake_time"
  var rows = [
    "Q1,F,1972-05-01,,3016-3,7.8,uIU/mL,2025-09-02T08:10:00+02:00,,0.3-4.2,",
    "Q1,F,1972-05-01,,3024-7,0.72,ng/dL,2025-09-02T08:10:00+02:00,,0.9-1.7,",
    "Q1,F,1972-05-01,,3016-3,2.0,uIU/mL,2026-03-18T08:05:00+01:00,,0.3-4.2,",
    "Q1,F,1972-05-01,,3024-7,1.25,ng/dL,2026-03-18T08:05:00+01:00,,0.9-1.7,",
    "Q1,F,1972-05-01,,2143-6,6.1,ug/dL,2026-03-18T08:05:00+01:00,fasting,6.2-19.4,",
    "Q1,F,1972-05-01,,2141-0,25,pg/mL,2026-03-18T08:05:00+01:00,,7.2-63.3,",
  ]
  for (minute, value) in [("00", "10.2"), ("15", "14.8"), ("30", "17.9"), ("45", "15.1")] {
    rows.append(
      "Q1,F,1972-05-01,,2142-8,\(value),nmol/L,2026-03-17T07:\(minute):00+01:00,,,2026-03-17T07:00:00+01:00"
    )
  }
  rows.append(
    "Q1,F,1972-05-01,,2142-8,11.3,nmol/L,2026-03-17T08:00:00+01:00,,,2026-03-17T07:00:00+01:00")
  try! scratch.put("labnord-2026-03-18.csv", ([header] + rows).joined(separator: "\n"))
  let pipeline = try! scratch.pipeline()
  _ = PipelineRunner(pipeline: pipeline).run()
  let files = scratch.files()
  func text(_ name: String) -> String {
    String(decoding: files["reports/patients/Q1.\(name)"] ?? Data(), as: UTF8.self)
  }
  let report = try! JSONDecoder().decode(PatientReport.self, from: Data(text("json").utf8))
  return (report, text("md"), text("html"))
}()

@Suite("The patient report reads like a lab report (issue 23, points 1 and 2)")
struct LabReportTests {
  @Test("the header names the patient, sex, age, the file (no folder), the report date and period")
  func header() {
    let report = lab.report
    #expect(report.sex == "female")
    #expect(report.age == 53)
    #expect(report.sources == ["labnord-2026-03-18.csv"])
    #expect(report.period == PatientReport.Period(first: "2025-09-02", last: "2026-03-18"))
    #expect(report.reportDate.hasSuffix("Z") && report.reportDate.count == 20)
    #expect(!lab.html.contains("inbox/") && !lab.markdown.contains("inbox/"))
  }

  @Test("a results table per collection, newest first, as reported and in SI, with H/L/N")
  func results() throws {
    let collections = lab.report.collections
    // One collection per draw time, whatever its specimens (serum, plasma).
    #expect(collections.map(\.time) == ["2026-03-18 08:05", "2025-09-02 08:10"])
    #expect(collections.first?.specimen == "plasma, serum or plasma")
    let latest = try #require(collections.first)
    let cortisol = try #require(latest.results.first { $0.analyte == "cortisol" })
    #expect(cortisol.reported == "6.1 µg/dL")
    // At the reporting precision of the value: 6.1 has two digits, its SI value three.
    #expect(cortisol.si == "168 nmol/L")
    // The lab's range as the lab wrote it, not converted to 171.058-535.246.
    #expect(cortisol.range == "6.2-19.4 µg/dL")
    #expect(cortisol.flag == "L")
    #expect(cortisol.note == "fasting")
    let tsh = try #require(collections.last?.results.first { $0.analyte.hasPrefix("TSH") })
    #expect(tsh.reported == "7.8 µIU/mL" && tsh.si == "7.8 mIU/L" && tsh.flag == "H")
    #expect(tsh.analyte == "TSH (thyrotropin)")
  }

  @Test("every analyte with two results has a cumulative table and a trend chart")
  func cumulative() {
    let series = lab.report.cumulative
    #expect(series.map(\.analyte) == ["TSH", "FT4"])
    #expect(series[0].points.map(\.flag) == ["H", "N"])
    #expect(series[0].low == 0.3 && series[0].high == 4.2)
    #expect(
      lab.html.components(separatedBy: "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trend\"")
        .count == 3)
  }

  @Test("units as people write them, never UCUM codes")
  func units() {
    for text in [lab.html, lab.markdown] {
      #expect(!text.contains("m[IU]") && !text.contains("[IU]/L") && !text.contains("u[IU]"))
    }
    #expect(lab.html.contains("µIU/mL"))
  }

  @Test("findings in words with their dates; rules, grids and setting keys only at the end")
  func findings() throws {
    let thyroid = try #require(lab.report.findings.first { $0.pattern == "primary-hypothyroidism" })
    #expect(thyroid.dates == ["2025-09-02 08:10"])
    let html = lab.html
    let decided = try #require(html.range(of: "<h2>How this was decided</h2>"))
    let before = String(html[..<decided.lowerBound])
    let after = String(html[decided.upperBound...])
    for key in ["feedback.pairing_window_hours", " grid:", "rule:"] {
      #expect(!before.contains(key), "\(key)")
    }
    #expect(after.contains("feedback.pairing_window_hours") && after.contains("rule:"))
    #expect(before.contains("Results of 2025-09-02 08:10"))
    // The summary comes before the results and says what the latest thyroid draw shows.
    #expect(
      before.range(of: "Summary")!.lowerBound < before.range(of: "<h2>Results</h2>")!.lowerBound)
    #expect(lab.report.summary.contains { $0.topic == "HPT" && $0.text.contains("2026-03-18") })
  }

  @Test("setting keys leave the reasons above the end, and feature columns read as names")
  func reasonsInWords() {
    #expect(
      PatientReportRenderer.withoutSettingKeys(
        "slope_log: 1 sample for the regression (needs 3, diurnal_slope.min_samples)")
        == "diurnal slope of ln cortisol (regression): 1 sample for the regression (needs 3)")
    #expect(
      PatientReportRenderer.withoutSettingKeys(
        "car: waking sample S2 taken 15 min after waking > 5 min (car.max_waking_delay_minutes; Smyth 2013)"
      )
        == "car: waking sample S2 taken 15 min after waking > 5 min (Smyth 2013)")
    #expect(
      PatientReportRenderer.withoutSettingKeys("CAR samples left out (diurnal_slope.exclude_car)")
        == "CAR samples left out")
  }

  @Test("a cosinor the analyzer calls weak is not estimable, never a number")
  func weakCosinor() throws {
    let day = try #require(lab.report.days.first)
    #expect(!day.features.contains { $0.name == "cosinor_mesor" || $0.name == "cosinor_amplitude" })
    let cosinor = try #require(day.features.first { $0.name == "cosinor" })
    #expect(cosinor.value == nil)
    #expect(cosinor.note?.hasPrefix("not estimable: ") == true)
    #expect(lab.html.contains("not estimable"))
    // Features by their names, not their columns.
    #expect(day.features.contains { $0.label == "CAR area under the curve from ground (AUCg)" })
    #expect(!lab.html.contains(">car_auc_g<"))
  }

  @Test("a CAR-only day has minute ticks")
  func minuteTicks() throws {
    let day = try #require(lab.report.days.first)
    let chart = CortisolChart(day: day)
    #expect(chart.ticks == [0, 10, 20, 30, 40, 50, 60])
    #expect(lab.html.contains("+30 min"))
    #expect(!lab.html.contains("+0.2 h"))
  }

  @Test("a sample one feature left out still carries the curve; a flagged one breaks it")
  func curve() {
    func point(_ minutes: Double, valid: Bool, excluded: String? = nil) -> PatientReport.Point {
      PatientReport.Point(
        minutes: minutes, clock: nil, value: 10, censoring: "", label: nil, flags: [],
        excluded: excluded, valid: valid)
    }
    let day = PatientReport.Day(
      day: 1, wakeSource: "diary", wake: nil,
      samples: [
        point(0, valid: true), point(30, valid: true, excluded: "CAR samples are not in the slope"),
        point(60, valid: false, excluded: "flagged implausible"), point(90, valid: true),
      ], features: [], reasons: [], notes: [])
    let svg = CortisolChart(day: day).svg
    // The polyline (the curve) is the only element with points but no class "censored".
    let curve = svg.components(separatedBy: "<polyline class=\"curve\" points=\"").dropFirst().first
    #expect(curve?.split(separator: "\"").first?.split(separator: " ").count == 3)
    #expect(svg.components(separatedBy: "<circle class=\"sample\"").count - 1 == 3)
    #expect(svg.components(separatedBy: "<rect class=\"left-out\"").count - 1 == 1)
    // The left-out mark as written byte for byte: minutes 0-90 over 554 px from x 52, so
    // +60 min is at 421.33 (less 4: 417.3); 10 nmol/L is the axis top, y 14 (less 4).
    #expect(
      svg.contains(
        "\n<rect class=\"left-out\" x=\"417.3\" y=\"10.0\" width=\"8\" height=\"8\" fill=\"#fff\" stroke=\"#000\"><title>10 nmol/L at +60 min; left out: flagged implausible</title></rect>\n"
      ))
    #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 640 170\""))
    #expect(svg.hasSuffix("\n</svg>\n"))
  }

  @Test("a censored sample is an open triangle, written byte for byte, its title escaped")
  func censoredMark() {
    let day = PatientReport.Day(
      day: 2, wakeSource: "diary", wake: nil,
      samples: [
        PatientReport.Point(
          minutes: 30, clock: nil, value: 10, censoring: "<", label: nil, flags: [],
          excluded: nil, valid: false)
      ], features: [], reasons: [], notes: [])
    let svg = CortisolChart(day: day).svg
    // Minutes 0-60 over 554 px from x 52: +30 min is at 329; 10 nmol/L is the top, y 14.
    #expect(
      svg.contains(
        "\n<polygon class=\"censored\" points=\"329.0,9.0 324.0,18.0 334.0,18.0\" fill=\"#fff\" stroke=\"#000\"><title>&lt;10 nmol/L at +30 min</title></polygon>\n"
      ))
    #expect(!svg.contains("<polyline"))
    #expect(svg.contains(" aria-label=\"Cortisol, day 2\">\n<rect class=\"car-window\""))
  }
}

@Suite("The SVG builder escapes what it is given")
struct SVGElementTests {
  @Test("attributes and text escaped, order kept, children nested")
  func escaping() {
    let element = SVGElement(
      "svg", [("aria-label", "a \"b\" <c>"), ("viewBox", "0 0 1 1")],
      children: [
        SVGElement("text", [("x", "1")], text: "</svg><script>alert('x')</script> & more"),
        SVGElement("circle", [("r", "3")]),
      ])
    #expect(
      element.markup
        == "<svg aria-label=\"a &quot;b&quot; &lt;c&gt;\" viewBox=\"0 0 1 1\">\n<text x=\"1\">&lt;/svg&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more</text>\n<circle r=\"3\"/>\n</svg>"
    )
  }
}
