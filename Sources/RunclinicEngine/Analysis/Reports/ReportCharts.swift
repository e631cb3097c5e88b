import Foundation

/// The report's charts, as SVG: each metric's curve with its anomalies and change points marked,
/// a heat map of the validation batches over steps, and the audit's defect counts.
enum ReportCharts {
    static let width = 720.0, height = 240.0
    static let margin = (left: 56.0, right: 16.0, top: 28.0, bottom: 32.0)

    /// One metric over steps. Long series are drawn from their minimum and maximum per pixel
    /// column, so a one-step spike stays visible.
    /// `superseded`: the points of attempts a rollback abandoned, drawn faded behind the run's lineage.
    static func curve(
        _ name: String, _ series: MetricSeries, superseded: MetricSeries? = nil, anomalies: [Anomaly],
        changePoints: [RunAnalysis.ChangePoint]
    ) -> String {
        var svg = SVGDocument(width: width, height: height, title: "\(name) over steps")
        let finite = zip(series.steps, series.values).filter { $0.1.isFinite }
        let abandoned = superseded.map { zip($0.steps, $0.values).filter { $0.1.isFinite } } ?? []
        svg.element("text", ["x": "8", "y": "16", "font-weight": "bold"], text: name)
        guard let lineageFirst = series.steps.first, let lineageLast = series.steps.last, !finite.isEmpty else {
            svg.element("text", ["x": "8", "y": "40"], text: "no finite values")
            return svg.text
        }
        let first = min(lineageFirst, abandoned.map(\.0).min() ?? lineageFirst)
        let last = max(lineageLast, abandoned.map(\.0).max() ?? lineageLast)
        let low = (finite + abandoned).map(\.1).min()!
        let high = (finite + abandoned).map(\.1).max()!
        let span = high > low ? high - low : max(1, abs(high))
        let x = { (step: Int64) in
            margin.left + (width - margin.left - margin.right) * Double(step - first) / Double(max(1, last - first))
        }
        let y = { (value: Double) in
            height - margin.bottom - (height - margin.top - margin.bottom) * (value - low) / span
        }
        axes(&svg, low: low, high: high, first: first, last: last)
        if !abandoned.isEmpty {
            // Each pixel column's span of abandoned values, as a faded stroke: attempts apart, not joined.
            svg.element(
                "path",
                [
                    "d": columnStrokes(abandoned, x: x, y: y), "fill": "none", "stroke": "#94a3b8",
                    "stroke-width": "1.5",
                    "opacity": "0.6", "class": "superseded",
                ])
        }
        svg.element(
            "polyline",
            ["points": polyline(finite, x: x, y: y), "fill": "none", "stroke": "#2563eb", "stroke-width": "1.5"])
        for point in changePoints where point.metric == name {
            svg.element(
                "line",
                [
                    "x1": SVGDocument.number(x(point.step)), "x2": SVGDocument.number(x(point.step)),
                    "y1": SVGDocument.number(margin.top), "y2": SVGDocument.number(height - margin.bottom),
                    "stroke": "#9333ea", "stroke-dasharray": "4 3", "class": "change-point",
                ])
        }
        nonFiniteMarks(&svg, series, x: x)
        for anomaly in anomalies where anomaly.metric == name && anomaly.batch == nil {
            let value = anomaly.value.isFinite ? anomaly.value : (anomaly.value == -.infinity ? low : high)
            svg.element(
                "circle",
                [
                    "cx": SVGDocument.number(x(anomaly.step)), "cy": SVGDocument.number(y(value)), "r": "4",
                    "fill": anomaly.severity >= .high ? "#dc2626" : "#f59e0b", "class": "anomaly",
                ])
        }
        svg.element(
            "text", ["x": SVGDocument.number(width - margin.right), "y": "16", "text-anchor": "end", "fill": "#555"],
            text: "dashed: change points · dots: anomalies"
                + (finite.count < series.values.count ? " · ▲▼×: ±Inf, NaN" : "")
                + (abandoned.isEmpty ? "" : " · grey: attempts abandoned at a rollback"))
        return svg.text
    }

    /// Non-finite values as marks at the chart's edge (+Inf ▲ at the top, -Inf ▼ at the bottom,
    /// NaN × at the top), one per pixel column: they have no place on the value axis.
    static func nonFiniteMarks(_ svg: inout SVGDocument, _ series: MetricSeries, x: (Int64) -> Double) {
        var drawnColumns: Set<Int> = []
        for (step, value) in zip(series.steps, series.values) where !value.isFinite {
            let column = Int(x(step).rounded())
            guard drawnColumns.insert(column).inserted else { continue }
            let (mark, y, label) =
                value.isNaN
                ? ("×", margin.top - 2, "NaN")
                : (value > 0 ? ("▲", margin.top - 2, "+Inf") : ("▼", height - margin.bottom + 10, "-Inf"))
            svg.element(
                "text",
                [
                    "x": SVGDocument.number(Double(column)), "y": SVGDocument.number(y), "text-anchor": "middle",
                    "fill": "#dc2626", "font-size": "10", "class": "non-finite",
                    "data-value": "\(label) at step \(step)",
                ],
                text: mark)
        }
    }

    static let palette = [
        "#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be185d", "#65a30d", "#7c3aed", "#475569",
    ]

    /// Several runs' curves of one metric on one chart, aligned by step (each drawn from its
    /// minimum and maximum per pixel column), with a legend.
    static func overlay(_ metric: String, _ runs: [(name: String, series: MetricSeries)]) -> String {
        let legendHeight = 16.0 * Double(min(runs.count, 20))
        var svg = SVGDocument(
            width: width, height: height + legendHeight, title: "\(metric) of \(runs.count) runs by step")
        svg.element("text", ["x": "8", "y": "16", "font-weight": "bold"], text: "\(metric), runs aligned by step")
        let finite = runs.flatMap { run in zip(run.series.steps, run.series.values).filter { $0.1.isFinite } }
        guard let low = finite.map(\.1).min(), let high = finite.map(\.1).max(),
            let first = finite.map(\.0).min(), let last = finite.map(\.0).max()
        else {
            svg.element("text", ["x": "8", "y": "40"], text: "no finite values")
            return svg.text
        }
        let span = high > low ? high - low : max(1, abs(high))
        let x = { (step: Int64) in
            margin.left + (width - margin.left - margin.right) * Double(step - first) / Double(max(1, last - first))
        }
        let y = { (value: Double) in
            height - margin.bottom - (height - margin.top - margin.bottom) * (value - low) / span
        }
        axes(&svg, low: low, high: high, first: first, last: last)
        for (index, run) in runs.enumerated() {
            let points = polyline(zip(run.series.steps, run.series.values).filter { $0.1.isFinite }, x: x, y: y)
            let colour = palette[index % palette.count]
            svg.element(
                "polyline", ["points": points, "fill": "none", "stroke": colour, "stroke-width": "1.5", "class": "run"])
            if index < 20 {
                let top = height + 16.0 * Double(index)
                svg.element(
                    "rect",
                    [
                        "x": SVGDocument.number(margin.left), "y": SVGDocument.number(top - 9), "width": "12",
                        "height": "3", "fill": colour,
                    ])
                svg.element(
                    "text", ["x": SVGDocument.number(margin.left + 18), "y": SVGDocument.number(top)], text: run.name)
            }
        }
        return svg.text
    }

    /// A curve's polyline points from each pixel column's minimum and maximum, so a long series
    /// draws in bounded size and a one-step spike stays visible.
    /// A vertical stroke per pixel column from its lowest to its highest value (a point where they
    /// are equal), as SVG path data: points drawn without joining one attempt to the next.
    static func columnStrokes(_ points: [(Int64, Double)], x: (Int64) -> Double, y: (Double) -> Double) -> String {
        var spans: [Int: (low: Double, high: Double)] = [:]
        for (step, value) in points {
            let column = Int(x(step).rounded())
            let span = spans[column]
            spans[column] = (min(span?.low ?? value, value), max(span?.high ?? value, value))
        }
        return spans.keys.sorted().map { column in
            let span = spans[column]!
            let top = y(span.high)
            let bottom = max(y(span.low), top + 1)
            return "M\(SVGDocument.number(Double(column))) \(SVGDocument.number(top))V\(SVGDocument.number(bottom))"
        }.joined()
    }

    static func polyline(_ points: [(Int64, Double)], x: (Int64) -> Double, y: (Double) -> Double) -> String {
        let columns = Int(width - margin.left - margin.right)
        var lows = [Double?](repeating: nil, count: columns + 1)
        var highs = [Double?](repeating: nil, count: columns + 1)
        for (step, value) in points {
            let column = min(columns, max(0, Int(x(step) - margin.left)))
            lows[column] = min(lows[column] ?? value, value)
            highs[column] = max(highs[column] ?? value, value)
        }
        var text: [String] = []
        for column in 0...columns {
            guard let bottom = lows[column], let top = highs[column] else { continue }
            let px = SVGDocument.number(margin.left + Double(column))
            text.append("\(px),\(SVGDocument.number(y(top)))")
            if bottom != top { text.append("\(px),\(SVGDocument.number(y(bottom)))") }
        }
        return text.joined(separator: " ")
    }

    static func axes(_ svg: inout SVGDocument, low: Double, high: Double, first: Int64, last: Int64) {
        let bottom = height - margin.bottom
        svg.element(
            "line",
            [
                "x1": SVGDocument.number(margin.left), "x2": SVGDocument.number(width - margin.right),
                "y1": SVGDocument.number(bottom), "y2": SVGDocument.number(bottom), "stroke": "#888",
            ])
        svg.element(
            "line",
            [
                "x1": SVGDocument.number(margin.left), "x2": SVGDocument.number(margin.left),
                "y1": SVGDocument.number(margin.top), "y2": SVGDocument.number(bottom), "stroke": "#888",
            ])
        svg.element(
            "text",
            ["x": SVGDocument.number(margin.left - 4), "y": SVGDocument.number(margin.top + 4), "text-anchor": "end"],
            text: IncidentFinder.display(high))
        svg.element(
            "text", ["x": SVGDocument.number(margin.left - 4), "y": SVGDocument.number(bottom), "text-anchor": "end"],
            text: IncidentFinder.display(low))
        svg.element(
            "text", ["x": SVGDocument.number(margin.left), "y": SVGDocument.number(bottom + 16)], text: "step \(first)")
        svg.element(
            "text",
            [
                "x": SVGDocument.number(width - margin.right), "y": SVGDocument.number(bottom + 16),
                "text-anchor": "end",
            ],
            text: "step \(last)")
    }

    /// Validation batches (rows) over evaluations (columns), coloured from worst (red) to best
    /// (green) of the metric; at most 200 evaluations are drawn (evenly chosen).
    static func heatMap(metric: String, profile: MetricProfile, batchesByStep: [Int64: [BatchRecord]]) -> String? {
        let steps = batchesByStep.keys.sorted()
        let batchNames = Array(Set(batchesByStep.values.flatMap { $0.map(\.batch) })).sorted()
        guard !steps.isEmpty, !batchNames.isEmpty else { return nil }
        let shown = steps.count <= 200 ? steps : (0..<200).map { steps[$0 * steps.count / 200] }
        var cells: [(column: Int, row: Int, value: Double)] = []
        for (column, step) in shown.enumerated() {
            for record in batchesByStep[step] ?? [] {
                guard let value = record.metrics.first(where: { $0.name == metric })?.value, value.isFinite,
                    let row = batchNames.firstIndex(of: record.batch)
                else { continue }
                cells.append((column, row, value))
            }
        }
        guard let low = cells.map(\.value).min(), let high = cells.map(\.value).max() else { return nil }
        let rowHeight = max(4, min(16, 320 / Double(batchNames.count)))
        let chartHeight = margin.top + rowHeight * Double(batchNames.count) + margin.bottom
        var svg = SVGDocument(width: width, height: chartHeight, title: "\(metric) per validation batch over steps")
        svg.element("text", ["x": "8", "y": "16", "font-weight": "bold"], text: "\(metric) per validation batch")
        let cellWidth = (width - margin.left - margin.right) / Double(shown.count)
        for cell in cells {
            var share = high > low ? (cell.value - low) / (high - low) : 1
            if profile.direction == .min { share = 1 - share }
            svg.element(
                "rect",
                [
                    "x": SVGDocument.number(margin.left + Double(cell.column) * cellWidth),
                    "y": SVGDocument.number(margin.top + Double(cell.row) * rowHeight),
                    "width": SVGDocument.number(cellWidth + 0.3), "height": SVGDocument.number(rowHeight),
                    "fill": "hsl(\(Int(120 * share)), 70%, 50%)", "class": "cell",
                ])
        }
        for (row, batch) in batchNames.enumerated() where batchNames.count <= 40 || row % 5 == 0 {
            svg.element(
                "text",
                [
                    "x": SVGDocument.number(margin.left - 4),
                    "y": SVGDocument.number(margin.top + (Double(row) + 0.8) * rowHeight),
                    "text-anchor": "end", "font-size": "9",
                ], text: "batch \(batch)")
        }
        let bottom = chartHeight - margin.bottom
        svg.element(
            "text", ["x": SVGDocument.number(margin.left), "y": SVGDocument.number(bottom + 16)],
            text: "step \(shown.first!)")
        svg.element(
            "text",
            [
                "x": SVGDocument.number(width - margin.right), "y": SVGDocument.number(bottom + 16),
                "text-anchor": "end",
            ],
            text: "step \(shown.last!) · red: worst, green: best")
        return svg.text
    }

    /// Images per audit issue among the run's validation images.
    static func defects(_ counts: [(issue: ImageIssue, count: Int)]) -> String? {
        guard let most = counts.map(\.count).max(), most > 0 else { return nil }
        let rowHeight = 22.0
        var svg = SVGDocument(
            width: width, height: margin.top + rowHeight * Double(counts.count) + 8, title: "audit defects")
        svg.element(
            "text", ["x": "8", "y": "16", "font-weight": "bold"], text: "validation images with an audit finding")
        for (row, entry) in counts.enumerated() {
            let top = margin.top + rowHeight * Double(row)
            let barWidth = (width - 200) * Double(entry.count) / Double(most)
            svg.element(
                "text", ["x": "150", "y": SVGDocument.number(top + 14), "text-anchor": "end"],
                text: entry.issue.rawValue)
            svg.element(
                "rect",
                [
                    "x": "158", "y": SVGDocument.number(top + 2), "width": SVGDocument.number(max(1, barWidth)),
                    "height": "16",
                    "fill": "#ea580c", "class": "bar",
                ])
            svg.element(
                "text", ["x": SVGDocument.number(162 + barWidth), "y": SVGDocument.number(top + 14)],
                text: "\(entry.count)")
        }
        return svg.text
    }
}
