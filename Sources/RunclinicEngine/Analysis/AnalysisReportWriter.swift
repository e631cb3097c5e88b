import Foundation
import Mustache
import RunclinicJSON

/// Writes an analysis's reports into a folder: `<run>_report.md` with its charts as SVG files in
/// `<run>_charts/`, `<run>_report.html` (self-contained: charts inline, thumbnails as data URIs)
/// and `<run>_summary.json` (the handbook's experiment summary). Markdown and HTML come from
/// Mustache templates compiled into the binary.
public struct AnalysisReportWriter: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case md, html, json
    }

    public let directory: String

    public init(directory: String) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
    }

    /// The paths written, by format.
    public func write(_ analysis: RunAnalysis, formats: [Format] = Format.allCases) throws -> [Format: String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw EngineError.invalidArgument(
                field: "output_dir", reason: "cannot create \(directory): \(error.localizedDescription)")
        }
        var written: [Format: String] = [:]
        let stem = Self.fileStem(analysis.run.name)
        for format in formats {
            switch format {
            case .md:
                let content = ReportContent(analysis: analysis)
                let folder = "\(stem)_charts"
                let chartDirectory = (directory as NSString).appendingPathComponent(folder)
                try? FileManager.default.removeItem(atPath: chartDirectory)
                do {
                    try FileManager.default.createDirectory(atPath: chartDirectory, withIntermediateDirectories: true)
                } catch {
                    throw EngineError.invalidArgument(
                        field: "output_dir", reason: "cannot create \(chartDirectory): \(error.localizedDescription)")
                }
                var charts: [[String: Any]] = []
                for chart in content.curves() {
                    try write(chart.svg, to: (chartDirectory as NSString).appendingPathComponent("\(chart.id).svg"))
                    charts.append(["name": ReportContent.markdown(chart.name), "file": "\(folder)/\(chart.id).svg"])
                }
                if let heatMap = content.heatMap() {
                    try write(heatMap, to: (chartDirectory as NSString).appendingPathComponent("batches.svg"))
                    charts.append(["name": "validation batches over steps", "file": "\(folder)/batches.svg"])
                }
                var defectChart: [String: Any]? = nil
                if let svg = content.defectChart() {
                    try write(svg, to: (chartDirectory as NSString).appendingPathComponent("defects.svg"))
                    defectChart = ["file": "\(folder)/defects.svg"]
                }
                let context = content.context(
                    charts: charts, heatMap: nil, defectChart: defectChart, thumbnails: false,
                    escape: ReportContent.markdown)
                let path = (directory as NSString).appendingPathComponent("\(stem)_report.md")
                try write(try Self.render("report.md", context), to: path)
                written[.md] = path
            case .html:
                let content = ReportContent(analysis: analysis)
                let charts = content.curves().map { ["id": $0.id, "name": $0.name, "svg": $0.svg] as [String: Any] }
                let context = content.context(
                    charts: charts, heatMap: content.heatMap(), defectChart: content.defectChart().map { ["svg": $0] },
                    thumbnails: true, escape: { $0 })
                let path = (directory as NSString).appendingPathComponent("\(stem)_report.html")
                try write(try Self.render("report.html", context), to: path)
                written[.html] = path
            case .json:
                let path = (directory as NSString).appendingPathComponent("\(stem)_summary.json")
                try write(JSONWriter.string(analysis.summaryJSON, pretty: true) + "\n", to: path)
                written[.json] = path
            }
        }
        return written
    }

    /// The templates, parsed once.
    static let templates: Result<MustacheLibrary, Error> = Result {
        var library = MustacheLibrary()
        try library.register(String(decoding: PackageResources.report_md_mustache, as: UTF8.self), named: "report.md")
        try library.register(
            String(decoding: PackageResources.report_html_mustache, as: UTF8.self), named: "report.html")
        return library
    }

    static func render(_ template: String, _ context: [String: Any]) throws -> String {
        let library: MustacheLibrary
        do {
            library = try templates.get()
        } catch {
            throw EngineError.internalFailure("the \(template) template does not parse: \(error)")
        }
        guard let text = library.render(context, withTemplate: template) else {
            throw EngineError.internalFailure("no \(template) template")
        }
        return text
    }

    func write(_ text: String, to path: String) throws {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw EngineError.invalidArgument(
                field: "output_dir", reason: "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// A run name made safe as a file name.
    static func fileStem(_ name: String) -> String {
        let safe = name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        return safe.isEmpty ? "run" : String(safe)
    }
}
