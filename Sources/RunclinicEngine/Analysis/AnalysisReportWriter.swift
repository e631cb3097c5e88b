import Foundation
import RunclinicJSON

/// Writes an analysis's reports into a folder: `<run>_report.md` with its charts as SVG files and
/// its worst images as JPEG thumbnails in `<run>_charts/`, `<run>_report.html` (self-contained:
/// charts inline, thumbnails as data URIs)
/// and `<run>_summary.json` (the handbook's experiment summary). Markdown and HTML come from
/// Mustache templates compiled into the binary.
public struct AnalysisReportWriter: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case md, html, json
    }

    public let directory: String
    /// Decodes the worst images again for colour thumbnails; nil: the stored grey ones in the HTML
    /// report, and none in the markdown one.
    public var inspector: (any ImageInspector)?
    /// Files claiming more pixels are not decoded for a thumbnail (see ImageThumbnail).
    public var maximumPixels: Int

    public init(
        directory: String, inspector: (any ImageInspector)? = nil,
        maximumPixels: Int = ImageQualityThresholds().maximumPixels
    ) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.inspector = inspector
        self.maximumPixels = maximumPixels
    }

    /// Writes the reports of `analyzer`'s analysis, with colour thumbnails by its inspector.
    public init(directory: String, analyzer: RunAnalyzer) {
        self.init(
            directory: directory, inspector: analyzer.inspector, maximumPixels: analyzer.auditThresholds.maximumPixels)
    }

    /// The paths written, by format.
    public func write(_ analysis: RunAnalysis, formats: [Format] = Format.allCases) throws -> [Format: String] {
        let folder = ReportFolder(path: directory, field: "output_dir")
        try folder.create()
        var written: [Format: String] = [:]
        let stem = Self.fileStem(analysis.run.name)
        // Decoded once for both reports.
        let shown = analysis.worstImages.filter { $0.thumbnail != nil }.map(\.file)
        let pictures =
            formats.contains(.md) || formats.contains(.html)
            ? inspector.map { ImageThumbnail.jpegs(shown, inspector: $0, maximumPixels: maximumPixels) } ?? [:] : [:]
        for format in formats {
            switch format {
            case .md:
                let content = ReportContent(analysis: analysis)
                let charts = "\(stem)_charts"
                try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(charts))
                try folder.create(charts)
                var chartFiles: [[String: Any]] = []
                for chart in content.curves() {
                    try folder.write(chart.svg, to: "\(charts)/\(chart.id).svg")
                    chartFiles.append(["name": ReportContent.markdown(chart.name), "file": "\(charts)/\(chart.id).svg"])
                }
                if let heatMap = content.heatMap() {
                    try folder.write(heatMap, to: "\(charts)/batches.svg")
                    chartFiles.append(["name": "validation batches over steps", "file": "\(charts)/batches.svg"])
                }
                var defectChart: [String: Any]? = nil
                if let svg = content.defectChart() {
                    try folder.write(svg, to: "\(charts)/defects.svg")
                    defectChart = ["file": "\(charts)/defects.svg"]
                }
                // The worst images beside the charts, numbered in the order they are listed.
                var pictureFiles: [String: String] = [:]
                for (index, file) in shown.enumerated() {
                    guard let jpeg = pictures[file] else { continue }
                    let name = "\(charts)/image_\(index + 1).jpg"
                    try folder.write(Data(jpeg), to: name)
                    pictureFiles[file] = name
                }
                let context = content.context(
                    charts: chartFiles, heatMap: nil, defectChart: defectChart, thumbnails: false,
                    pictures: pictureFiles, escape: ReportContent.markdown)
                written[.md] = try folder.write(
                    try ReportTemplates.render("report.md", context), to: "\(stem)_report.md")
            case .html:
                let content = ReportContent(analysis: analysis)
                let charts = content.curves().map { ["id": $0.id, "name": $0.name, "svg": $0.svg] as [String: Any] }
                let context = content.context(
                    charts: charts, heatMap: content.heatMap(), defectChart: content.defectChart().map { ["svg": $0] },
                    thumbnails: true, pictures: pictures.mapValues(ImageThumbnail.dataURI), escape: { $0 })
                written[.html] = try folder.write(
                    try ReportTemplates.render("report.html", context), to: "\(stem)_report.html")
            case .json:
                written[.json] = try folder.write(
                    JSONWriter.string(analysis.summaryJSON, pretty: true) + "\n", to: "\(stem)_summary.json")
            }
        }
        return written
    }

    /// A run name made safe as a file name.
    static func fileStem(_ name: String) -> String {
        let safe = name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        return safe.isEmpty ? "run" : String(safe)
    }
}
