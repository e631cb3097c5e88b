import Foundation
import RunclinicJSON

/// Writes a run back out as a table other tools read: CSV (one row per step and time, a `step` and
/// a `time` column, empty cells where a metric was not logged, numbers as Python's `str(float)`
/// spells them) or JSON lines (one object per row, NaN and Infinity as Python's json writes them).
/// Metrics of one step logged at different times (training, then validation) get a row each, as
/// Lightning's CSVLogger writes them, so every point keeps its own time. The config goes beside a
/// file as `<stem>.hparams.yaml`, which `import` reads back.
public struct RunExporter: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case csv, jsonl
    }

    public struct Table: Sendable {
        public let text: String
        public let rows: Int
        public let points: Int
        public let config: JSONValue?
    }

    private struct RowKey: Hashable {
        let step: Int64
        let time: UInt64
    }

    let store: RunStore

    public init(store: RunStore) {
        self.store = store
    }

    public func table(_ reference: RunReference, format: Format) throws -> Table {
        let run = try store.run(reference)
        let series = try store.metrics(run: reference)
        // A row per (step, time): the store holds one value per metric and step (the lineage's).
        var rowIndex: [RowKey: Int] = [:]
        var steps: [Int64] = []
        var times: [Double] = []
        var cells: [[Double?]] = []
        var points = 0
        for (column, (_, metric)) in series.enumerated() {
            for index in metric.steps.indices {
                let key = RowKey(step: metric.steps[index], time: metric.times[index].bitPattern)
                let row: Int
                if let existing = rowIndex[key] {
                    row = existing
                } else {
                    row = steps.count
                    rowIndex[key] = row
                    steps.append(key.step)
                    times.append(metric.times[index])
                    cells.append([Double?](repeating: nil, count: series.count))
                }
                if cells[row][column] == nil { points += 1 }
                cells[row][column] = metric.values[index]
            }
        }
        let order = steps.indices.sorted { (steps[$0], times[$0]) < (steps[$1], times[$1]) }
        var text = ""
        text.reserveCapacity(order.count * (16 + 20 * series.count))
        switch format {
        case .csv:
            text += (["step", "time"] + series.map { Self.csvCell($0.name) }).joined(separator: ",") + "\n"
            for row in order {
                text += String(steps[row])
                text += ","
                text += Self.number(times[row])
                for value in cells[row] {
                    text += ","
                    if let value { text += Self.number(value) }
                }
                text += "\n"
            }
        case .jsonl:
            for row in order {
                var object: JSONObject = ["step": .int(steps[row]), "time": .double(times[row])]
                for (column, value) in cells[row].enumerated() {
                    if let value { object[series[column].name] = .double(value) }
                }
                text += JSONWriter.string(.object(object))
                text += "\n"
            }
        }
        return Table(text: text, rows: order.count, points: points, config: run.config)
    }

    /// Writes the table to `path`, and the config beside it; returns the config file's path, if any.
    @discardableResult
    public func write(_ table: Table, to path: String) throws -> String? {
        do {
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            try Data(table.text.utf8).write(to: URL(fileURLWithPath: path))
            guard let config = table.config else { return nil }
            let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let configPath = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
                "\(stem).hparams.yaml")
            // JSON is YAML: the config keeps its types when read back.
            try Data((JSONWriter.string(config, pretty: true) + "\n").utf8).write(to: URL(fileURLWithPath: configPath))
            return configPath
        } catch {
            throw EngineError.invalidArgument(
                field: "path", reason: "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// Shortest round-trip digits; `nan`, `inf`, `-inf` as Python's float() reads them.
    static func number(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return "\(value)"
    }

    private static func csvCell(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
