import RunclinicJSON

/// Checkpoints and how they rank by the run's primary metric.
enum CheckpointQueries {
    static func all(runID: Int64, on connection: SQLiteConnection) throws -> [(id: Int64, step: Int64, path: String, metrics: [MetricValue], time: Double)] {
        let query = try connection.prepare(
            "SELECT id, step, path, metrics, time FROM checkpoints WHERE run_id = ? ORDER BY id")
        query.bind(runID, at: 1)
        var rows: [(Int64, Int64, String, [MetricValue], Double)] = []
        while try query.step() {
            rows.append((query.int64(at: 0), query.int64(at: 1), query.text(at: 2) ?? "",
                         MetricValue.parse(jsonText: query.text(at: 3) ?? "{}"), query.double(at: 4)))
        }
        return rows
    }

    /// The metric checkpoints are ranked by: the configured `experiment_monitoring.primary_metric`,
    /// else the first validation metric the run logged, else the first metric it logged.
    static func primaryMetric(run: RunRecord, runID: Int64, on connection: SQLiteConnection) throws -> String? {
        if let configured = run.config?["experiment_monitoring"]?["primary_metric"]?.stringValue {
            return configured
        }
        let keys = try RunQueries.metricKeys(runID: runID, on: connection).map(\.name)
        return keys.first(where: isValidationMetric) ?? keys.first
    }

    static func isValidationMetric(_ name: String) -> Bool {
        let words = name.lowercased().split { !$0.isLetter && !$0.isNumber }
        return words.contains { $0 == "val" || $0 == "valid" || $0 == "validation" || $0 == "eval" }
    }

    /// A configured `experiment_monitoring.metrics.<name>.mode`, else the direction the name implies.
    static func direction(of metric: String, run: RunRecord) -> MetricDirection {
        if let mode = run.config?["experiment_monitoring"]?["metrics"]?[metric]?["mode"]?.stringValue,
           let direction = MetricDirection(rawValue: mode) {
            return direction
        }
        return MetricDirection.infer(from: metric) ?? .max
    }

    static func ranked(run: RunRecord, on connection: SQLiteConnection) throws -> (checkpoints: [CheckpointRecord], best: CheckpointRecord?, primary: String?, direction: MetricDirection?) {
        let primary = try primaryMetric(run: run, runID: run.id, on: connection)
        let direction = primary.map { Self.direction(of: $0, run: run) }
        var best: CheckpointRecord?
        var records: [CheckpointRecord] = []
        for row in try all(runID: run.id, on: connection) {
            var score: Double?
            if let primary { score = row.metrics.last(where: { $0.name == primary })?.value }
            let record = CheckpointRecord(id: row.id, runID: run.id, step: row.step, path: row.path,
                                          metrics: row.metrics, time: row.time, score: score)
            records.append(record)
            guard let score, !score.isNaN, let direction else { continue }
            if let bestScore = best?.score {
                if direction.isBetter(score, than: bestScore) { best = record }
            } else {
                best = record
            }
        }
        return (records, best, primary, direction)
    }

    /// The latest value of each of the run's metrics at or before `step`: what a checkpoint
    /// registered without metrics is scored by.
    static func latestValues(runID: Int64, atOrBefore step: Int64, on connection: SQLiteConnection) throws -> [MetricValue] {
        let query = try connection.prepare("""
            SELECT (SELECT value FROM metric_points p WHERE p.run_id = k.run_id AND p.key_id = k.key_id AND p.step <= ?
                    ORDER BY p.step DESC, p.rowid DESC LIMIT 1),
                   EXISTS (SELECT 1 FROM metric_points p WHERE p.run_id = k.run_id AND p.key_id = k.key_id AND p.step <= ?),
                   metric_keys.name
            FROM run_metric_keys k JOIN metric_keys ON metric_keys.id = k.key_id
            WHERE k.run_id = ? ORDER BY k.rowid
            """)
        query.bind(step, at: 1)
        query.bind(step, at: 2)
        query.bind(runID, at: 3)
        var values: [MetricValue] = []
        while try query.step() {
            guard query.int64(at: 1) != 0 else { continue }
            values.append(MetricValue(query.text(at: 2) ?? "", query.doubleOrNaN(at: 0)))
        }
        return values
    }
}
