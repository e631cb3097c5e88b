import Foundation

/// What the report templates show, built from an analysis: plain values (strings, numbers,
/// arrays, dictionaries) for Mustache, with the charts as SVG.
struct ReportContent {
    let analysis: RunAnalysis
    /// Anomalies listed in a report (all are in the JSON).
    static let listedAnomalies = 200

    /// The charts: the primary metric first, then the metrics with incidents, then the rest
    /// (at most eight curves).
    func curves() -> [(id: String, name: String, svg: String)] {
        let incidentMetrics = analysis.explanations.map(\.incident.metric)
        var names: [String] = []
        for name in [analysis.primaryMetric].compactMap({ $0 }) + incidentMetrics + analysis.series.keys.sorted()
        where !names.contains(name) {
            if analysis.series[name] != nil { names.append(name) }
        }
        return names.prefix(8).map { name in
            (
                Self.identifier(name), name,
                ReportCharts.curve(
                    name, analysis.series[name]!, superseded: analysis.superseded[name],
                    anomalies: analysis.anomalies, changePoints: analysis.changePoints)
            )
        }
    }

    func heatMap() -> String? {
        let metric =
            analysis.explanations.first(where: { $0.incident.kind == .drop })?.incident.metric ?? analysis.primaryMetric
        guard let metric else { return nil }
        return ReportCharts.heatMap(
            metric: metric, profile: MetricProfile(name: metric, configuration: MonitorConfiguration()),
            batchesByStep: analysis.batchesByStep)
    }

    func defectChart() -> String? { ReportCharts.defects(analysis.dataInsights.defects) }

    /// The template context; `charts` holds each chart's file name (markdown) or SVG (HTML).
    /// `pictures`: colour thumbnails by image file (see ImageThumbnail), as data URIs (HTML) or
    /// files beside the report (markdown); `thumbnails`: the stored grey ones for the images left.
    func context(
        charts: [[String: Any]], heatMap: Any?, defectChart: Any?, thumbnails: Bool,
        pictures: [String: String] = [:], escape: (String) -> String
    ) -> [String: Any] {
        let number = { (value: Double?) -> String in value.map(IncidentFinder.display) ?? "" }
        let insights = analysis.dataInsights
        let listed = analysis.anomalies.prefix(Self.listedAnomalies)
        let formatter = ISO8601DateFormatter()
        var context: [String: Any] = [
            "run": escape(analysis.run.name), "project": escape(analysis.run.project),
            "status": analysis.run.status.rawValue,
            "points": analysis.series.values.reduce(0) { $0 + $1.values.count },
            "batchRecords": analysis.batchesByStep.values.reduce(0) { $0 + $1.count },
            "generated": formatter.string(from: Date()),
            "keyFinding": escape(analysis.keyFinding),
            "recommendations": analysis.recommendations.map(escape),
            "metrics": analysis.metrics.sorted { $0.name < $1.name }.map { metric -> [String: Any] in
                [
                    "name": escape(metric.name), "best": number(metric.best),
                    "bestStep": metric.bestStep.map(String.init) ?? "",
                    "final": number(metric.final), "drop": number(metric.dropFromBest),
                ]
            },
            "charts": charts,
            "incidents": analysis.explanations.map { explanation -> [String: Any] in
                [
                    "description": escape(explanation.incident.description),
                    "hypotheses": explanation.hypotheses.enumerated().map { rank, hypothesis -> [String: Any] in
                        var entry: [String: Any] = [
                            "rank": rank + 1, "cause": hypothesis.cause.rawValue,
                            "confidence": String(format: "%.2f", hypothesis.confidence),
                            "evidence": hypothesis.evidence.map(escape),
                        ]
                        if let defect = hypothesis.defect { entry["defect"] = defect }
                        if let batches = hypothesis.batches { entry["batches"] = RootCauseAnalyzer.ranges(batches) }
                        return entry
                    },
                ]
            },
            "anomalies": listed.map { anomaly -> [String: Any] in
                [
                    "step": anomaly.step, "metric": escape(anomaly.metric), "type": anomaly.type.rawValue,
                    "severity": anomaly.severity.rawValue, "batch": anomaly.batch.map(String.init) ?? "",
                    "message": escape(anomaly.message),
                ]
            },
            "batchChangePoints": analysis.changePoints.filter { $0.batch != nil }.count,
            "changePoints": analysis.changePoints.filter { $0.batch == nil }.map { point -> [String: Any] in
                [
                    "metric": escape(point.metric), "step": point.step, "before": number(point.before),
                    "after": number(point.after),
                ]
            },
            "totalImages": insights.totalImages, "auditedImages": insights.auditedImages,
            "suspectedImages": insights.suspectedBadImages.count,
            "worstImages": analysis.worstImages.map { image -> [String: Any] in
                var entry: [String: Any] = [
                    "path": escape(image.path), "issues": image.issues.map(\.rawValue).joined(separator: ", "),
                ]
                if let picture = pictures[image.file] {
                    entry["thumbnail"] = picture
                } else if thumbnails, let pixels = image.thumbnail {
                    entry["thumbnail"] = GreyBitmap.dataURI(pixels, width: 48, height: 48)
                }
                return entry
            },
        ]
        if let advice = analysis.recommendations.first { context["recommendation"] = escape(advice) }
        if !analysis.anomalies.isEmpty { context["anomalyCount"] = analysis.anomalies.count }
        if analysis.anomalies.count > listed.count {
            context["anomaliesOmitted"] = analysis.anomalies.count - listed.count
        }
        if !insights.defects.isEmpty {
            context["defects"] = [
                "rows": insights.defects.map { ["issue": $0.issue.rawValue, "count": $0.count] as [String: Any] }
            ]
        }
        if let heatMap { context["heatMap"] = heatMap }
        if let defectChart { context["defectChart"] = defectChart }
        if !analysis.worstImages.isEmpty { context["worstImagesShown"] = true }
        return context
    }

    /// A name safe in file names and HTML ids.
    static func identifier(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    /// Markdown table cells and lines: a pipe would end the cell.
    static func markdown(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
