import Foundation
import RunclinicJSON

/// Writes a comparison's reports into a folder: `comparison_<metric>.md` with the overlaid curves
/// as an SVG file beside it, a self-contained `comparison_<metric>.html`, and the JSON.
public struct ComparisonReportWriter: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
    }

    public func write(
        _ comparison: RunComparison, formats: [AnalysisReportWriter.Format] = AnalysisReportWriter.Format.allCases
    ) throws
        -> [AnalysisReportWriter.Format: String]
    {
        let folder = ReportFolder(path: directory, field: "output_dir")
        try folder.create()
        let stem = "comparison_" + AnalysisReportWriter.fileStem(comparison.metric)
        let chart = ReportCharts.overlay(comparison.metric, comparison.curves)
        var written: [AnalysisReportWriter.Format: String] = [:]
        for format in formats {
            let name = "\(stem).\(format.rawValue)"
            switch format {
            case .md:
                let chartFile = "\(stem).svg"
                try folder.write(chart, to: chartFile)
                let context = context(comparison, chart: chartFile, escape: ReportContent.markdown)
                written[format] = try folder.write(try ReportTemplates.render("comparison.md", context), to: name)
            case .html:
                let context = context(comparison, chart: chart, escape: { $0 })
                written[format] = try folder.write(try ReportTemplates.render("comparison.html", context), to: name)
            case .json:
                written[format] = try folder.write(JSONWriter.string(comparison.json, pretty: true) + "\n", to: name)
            }
        }
        return written
    }

    func context(_ comparison: RunComparison, chart: String, escape: (String) -> String) -> [String: Any] {
        let number = { (value: Double?) -> String in value.map(\.displayValue) ?? "-" }
        var context: [String: Any] = [
            "metric": escape(comparison.metric), "direction": comparison.direction == .max ? "higher" : "lower",
            "count": comparison.outcomes.count, "generated": ISO8601DateFormatter().string(from: Date()),
            "chart": chart,
            "recommendations": comparison.recommendations.map(escape),
            "runs": comparison.outcomes.map { outcome -> [String: Any] in
                [
                    "name": escape(outcome.run.name), "best": number(outcome.best),
                    "bestStep": outcome.bestStep.map(String.init) ?? "-",
                    "final": number(outcome.final), "drop": number(outcome.dropFromBest),
                    "auc": number(outcome.areaUnderCurve),
                    "near": outcome.stepsToNearBest.map(String.init) ?? "-", "wall": number(outcome.wallSeconds),
                    "volatility": number(outcome.volatility), "anomalies": outcome.anomalies.values.reduce(0, +),
                ]
            },
            "groups": comparison.groups.map { group -> [String: Any] in
                [
                    "settings": escape(group.settings.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")),
                    "runs": escape(group.runs.joined(separator: ", ")), "mean": number(group.mean),
                    "deviation": number(group.deviation),
                    "interval": group.interval.map { "\(number($0.low)) to \(number($0.high))" } ?? "-",
                ]
            },
            "differences": comparison.differences.map { difference -> [String: Any] in
                [
                    "key": escape(difference.key), "typeChanged": difference.typeChanged,
                    "values": difference.values.map { escape($0.map(JSONWriter.string) ?? "(missing)") },
                ]
            },
            "keyDifferences": comparison.keyDifferences.map {
                ["key": escape($0.key), "share": String(format: "%.2f", $0.share)] as [String: Any]
            },
        ]
        if !comparison.differences.isEmpty { context["hasDifferences"] = true }
        if !comparison.keyDifferences.isEmpty { context["hasKeyDifferences"] = true }
        if let test = comparison.significance {
            context["significance"] = [
                "t": number(test.t), "degrees": number(test.degrees), "p": test.p.shortDescription,
                "verdict": test.isSignificant ? "significant at 5%" : "not significant",
            ]
        }
        return context
    }
}
