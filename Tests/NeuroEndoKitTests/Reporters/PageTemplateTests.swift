import Foundation
import Mustache
import Testing

@testable import NeuroEndoKit

/// The compiled page templates render what swift-mustache renders, byte for byte.
@Suite("Page templates")
struct PageTemplateTests {
  /// Both engines' output for `template` over `context`.
  private func both(_ template: String, _ context: [String: Any]) throws -> (String, String) {
    let reference = try MustacheTemplate(string: template).render(context)
    return (try PageTemplate(template).render(context), reference)
  }

  @Test("standalone lines, sections, inverted sections, lists, escapes and shadowing")
  func constructs() throws {
    let template = """
      <h1>{{title}}</h1>
        {{#items}}
        <li class="{{kind}}">{{name}} {{{raw}}} {{&raw}} {{missing}}</li>
        {{/items}}
      {{^items}}none{{/items}}
      {{! a comment alone on its line }}
      {{#flag}}on{{/flag}}{{^flag}}off{{/flag}} {{#empty}}x{{/empty}}{{^empty}}empty{{/empty}}
      <ul>{{#notes}}<li>{{.}}</li>{{/notes}}</ul>\r
      {{#nested}}\r
      {{#inner}}[{{title}}:{{name}}]{{/inner}}\r
      {{/nested}}\r
      {{#text}}<p>{{text}}</p>{{/text}}
      {{#flag}}
      \t{{#flag}}\t
      tabbed
      {{/flag}}
      end {{#flag}}
      mid-line
      {{/flag}} tail
      {{#notes}}<i>{{.}}</i>
      {{/notes}}
      {{/flag}}
      after a section that shares its opening line
      """
    let context: [String: Any] = [
      "title": "A & <B> \"quoted\" 'single'",
      "items": [
        ["kind": "x", "name": "one", "raw": "<b>1</b>"],
        ["kind": "y'z", "name": "<two>", "raw": "&amp;"],
      ],
      "flag": true, "empty": [String](),
      "notes": ["a < b", "c & d", "é ✓"],
      "nested": [
        ["inner": [["name": "n1"], ["name": "n2", "title": "shadow"]] as [[String: Any]]]
      ]
        as [[String: Any]],
      "text": "shown",
    ]
    let (ours, reference) = try both(template, context)
    #expect(ours == reference)
    #expect(ours.contains("A &amp; &lt;B&gt; &quot;quoted&quot; &#39;single&#39;"))
    #expect(ours.contains("[shadow:n2]"))
    let (none, noneReference) = try both(template, ["items": [[String: Any]](), "flag": false])
    #expect(none == noneReference)
    #expect(none.contains("none"))
  }

  @Test("rows made one at a time render as the same list given whole")
  func rows() throws {
    let template =
      "<table>\n{{#rows}}<tr><td>{{name}}</td><td>{{n}}</td></tr>\n{{/rows}}{{^rows}}none\n{{/rows}}</table>\n"
    var made = 0
    let rows = PageTemplate.Rows(count: 3) { index in
      made += 1
      return ["name": "<\(index)>", "n": String(index * 2)]
    }
    let ours = try PageTemplate(template).render(["rows": rows])
    #expect(made == 3)
    let reference = try MustacheTemplate(string: template).render(["rows": rows.all])
    #expect(ours == reference)
    #expect(ours.contains("<td>&lt;2&gt;</td><td>4</td>"))
    let empty = PageTemplate.Rows(count: 0) { _ in [:] }
    #expect(try PageTemplate(template).render(["rows": empty]) == "<table>\nnone\n</table>\n")
  }

  @Test("a quote, bracket or ampersand followed by a combining mark is escaped all the same")
  func combiningMarks() throws {
    // One Character each ("\"\u{301}"): escaping by Character, as swift-mustache does,
    // let them through and out of an attribute.
    let page = try PageTemplate(#"<a title="{{t}}">{{t}}</a>"#).render([
      "t": "\"\u{301} onmouseover=\u{301}x '\u{301} <\u{301}b>\u{301} &\u{301}"
    ])
    let escaped =
      "&quot;\u{301} onmouseover=\u{301}x &#39;\u{301} &lt;\u{301}b&gt;\u{301} &amp;\u{301}"
    #expect(page == #"<a title=""# + escaped + #"">"# + escaped + "</a>")
  }

  @Test("an unclosed tag or section is an error, not a page")
  func errors() {
    #expect(throws: PageTemplate.ParseError.unclosedSection("a")) { try PageTemplate("{{#a}}x") }
    #expect(throws: PageTemplate.ParseError.unexpectedEnd("b")) { try PageTemplate("{{#a}}{{/b}}") }
    #expect(throws: PageTemplate.ParseError.unclosedTag(offset: 2)) { try PageTemplate("x {{y") }
  }

  @Test("every patient page and the cohort page of the sample run, as swift-mustache renders them")
  func samplePages() throws {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID())")
    defer { try? FileManager.default.removeItem(at: output) }
    let pipeline = try PipelineLoader.load(file: Repository.path("Pipelines/sample.yml"))
    let summary = PipelineRunner(pipeline: pipeline).run(outputDirectory: output.path)
    #expect(summary.isComplete)
    let patients = output.appendingPathComponent("reports/patients")
    let files = try FileManager.default.contentsOfDirectory(atPath: patients.path)
      .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".fhir.json") }.sorted()
    #expect(files.count >= 10)
    // The written pages themselves are held to the goldens (`GoldenRunTests`), which
    // swift-mustache made.
    let page = try MustacheTemplate(string: PatientReportRenderer.page)
    let compiled = try PageTemplate(PatientReportRenderer.page)
    var reports: [PatientReport] = []
    for file in files {
      let data = try Data(contentsOf: patients.appendingPathComponent(file))
      let report = try JSONDecoder().decode(PatientReport.self, from: data)
      reports.append(report)
      let ours = PatientReportRenderer.html(report)
      #expect(ours == page.render(PatientReportRenderer.context(report)), "\(file)")
    }
    // Byte for byte against the template compiled here, for every sample patient and for
    // variants with each part empty, texts to escape and a band without days.
    var variants = reports
    for (index, report) in reports.enumerated() {
      var bare = report
      switch index % 4 {
      case 0: bare.summary = []
      case 1: bare.collections = []
      case 2: bare.findings = []
      default: bare.cumulative = []
      }
      bare.subjectID = "<s&'\"\u{301}>"
      variants.append(bare)
    }
    if var empty = reports.first {
      empty.summary = []
      empty.collections = []
      empty.cumulative = []
      empty.findings = []
      empty.days = []
      empty.cohortBand = reports.first { !$0.cohortBand.isEmpty }?.cohortBand ?? []
      variants.append(empty)
    }
    for report in variants {
      #expect(
        PatientPage.bytes(report) == compiled.renderBytes(PatientReportRenderer.context(report)),
        "\(report.subjectID)")
    }
    // The Markdown page, byte for byte against the text it was written as, with every
    // character Markdown escapes in an id, a label, a reason and a finding.
    let marked = "a|b[c]`d\\e\nf\r<&>\u{301}é"
    for var report in variants {
      #expect(
        PatientMarkdown.bytes(report) == Array(MarkdownReference.markdown(report).utf8),
        "\(report.subjectID)")
      report.subjectID = marked
      if !report.days.isEmpty {
        report.days[0].samples[0].label = marked
        report.days[0].reasons.append(marked)
      }
      if !report.findings.isEmpty { report.findings[0].message = marked }
      let bytes = PatientMarkdown.bytes(report)
      #expect(bytes == Array(MarkdownReference.markdown(report).utf8), "\(report.subjectID)")
      #expect(String(decoding: bytes, as: UTF8.self).contains(#"a\|b\[c\]\`d\\e f &lt;&amp;"#))
    }
    let data = try Data(contentsOf: output.appendingPathComponent("reports/cohort.json"))
    let cohort = try JSONDecoder().decode(CohortReport.self, from: data)
    // swift-mustache takes lists only: the patients' rows, made one at a time for our
    // template, all at once for it.
    var context = cohort.context
    let rows = try #require(context["patients"] as? PageTemplate.Rows)
    #expect(rows.count == cohort.patients.count)
    context["patients"] = rows.all
    let reference = try MustacheTemplate(string: CohortReport.page).render(context)
    #expect(cohort.html == reference)
    #expect(cohort.html.contains("patients/"))
  }

  @Test("the cohort's patients rows, written by row, are the rows the template renders")
  func cohortRows() throws {
    var cohort = CohortReport.build(
      inputs: CohortReport.Inputs(
        features: CortisolRhythmFeatures(), feedback: FeedbackResult(), threshold: -0.1,
        band: [:], patientReports: false),
      run: "r")
    // Linked and not, ids and file names with every character the page escapes (a
    // combining mark after one), counts of every size, a verdict or none.
    let awkward = [
      "<s&1>", "a\"b'c", "Zoë", "q\"\u{301}", "", "-", String(repeating: "x", count: 40),
    ]
    for (index, id) in awkward.enumerated() {
      cohort.patients.append(
        CohortReport.Patient(
          subjectID: id, file: index % 2 == 0 ? "p\(index)&<\(id)>" : nil, days: index,
          responses: index * 7, findings: -index, marked: Int.max - index,
          flattened: index % 3 == 0 ? nil : "insufficient-data <\(id)>"))
    }
    var context = cohort.context
    let rows = try #require(context["patients"] as? PageTemplate.Rows)
    #expect(rows.write != nil)
    let ours = cohort.html
    // The same page from the rows' dictionaries: by our engine without the writer, and by
    // swift-mustache.
    context["patients"] = PageTemplate.Rows(count: rows.count, item: rows.item)
    #expect(ours == CohortReport.template.render(context))
    // swift-mustache escapes by Character: a quote with a combining mark is left as it is
    // (``combiningMarks()``), so it renders the page of the other rows.
    var plain = cohort
    plain.patients.removeAll { $0.subjectID.unicodeScalars.contains("\u{301}") }
    var plainContext = plain.context
    plainContext["patients"] = try #require(plainContext["patients"] as? PageTemplate.Rows).all
    #expect(plain.html == (try MustacheTemplate(string: CohortReport.page).render(plainContext)))
    #expect(
      ours.contains("<a href=\"patients/p0&amp;&lt;&lt;s&amp;1&gt;&gt;.html\">&lt;s&amp;1&gt;</a>"))
  }
}
