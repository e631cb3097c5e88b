import RunclinicJSON

/// Checkpoints and how they rank by the run's primary metric.
enum CheckpointQueries {
    static func all(runID: Int64, on connection: any DatabaseConnection) throws -> [(
        id: Int64, step: Int64, path: String, metrics: [MetricValue], time: Double
    )] {
        let query = try connection.prepare(
            "SELECT id, step, path, metrics, time FROM checkpoints WHERE run_id = ? ORDER BY id")
        query.bind(runID, at: 1)
        var rows: [(Int64, Int64, String, [MetricValue], Double)] = []
        while try query.step() {
            rows.append(
                (
                    query.int64(at: 0), query.int64(at: 1), query.text(at: 2) ?? "",
                    MetricValue.parse(jsonText: query.text(at: 3) ?? "{}"), query.double(at: 4)
                ))
        }
        return rows
    }

    /// The metric checkpoints are ranked by: the configured `experiment_monitoring.primary_metric`,
    /// else the first validation metric the run logged, else the first metric it logged.
    static func primaryMetric(
        run: RunRecord, runID: Int64, checkpointMetrics: [String] = [], on connection: any DatabaseConnection
    ) throws -> String? {
        if let configured = run.config?["experiment_monitoring"]?["primary_metric"]?.stringValue {
            return configured
        }
        let keys = try RunQueries.metricKeys(runID: runID, on: connection).map(\.name)
        return keys.first(where: isValidationMetric) ?? checkpointMetrics.first(where: isValidationMetric) ?? keys.first
    }

    static func isValidationMetric(_ name: String) -> Bool {
        let words = name.lowercased().split { !$0.isLetter && !$0.isNumber }
        return words.contains { $0 == "val" || $0 == "valid" || $0 == "validation" || $0 == "eval" }
    }

    /// A configured `experiment_monitoring.metrics.<name>.mode`, else the direction the name implies.
    static func direction(of metric: String, run: RunRecord) -> MetricDirection {
        if let mode = run.config?["experiment_monitoring"]?["metrics"]?[metric]?["mode"]?.stringValue,
            let direction = MetricDirection(rawValue: mode)
        {
            return direction
        }
        return MetricDirection.infer(from: metric) ?? .max
    }

    static func ranked(run: RunRecord, on connection: any DatabaseConnection) throws -> (
        checkpoints: [CheckpointRecord], best: CheckpointRecord?, primary: String?, direction: MetricDirection?
    ) {
        let rows = try all(runID: run.id, on: connection)
        let primary = try primaryMetric(
            run: run, runID: run.id, checkpointMetrics: rows.flatMap { $0.metrics.map(\.name) }, on: connection)
        let direction = primary.map { Self.direction(of: $0, run: run) }
        var best: CheckpointRecord?
        var records: [CheckpointRecord] = []
        let secondary = primary.flatMap {
            secondaryMetric(among: rows.flatMap { $0.metrics.map(\.name) }, primary: $0, run: run)
        }
        for row in rows {
            var score: Double?
            if let primary { score = row.metrics.last(where: { $0.name == primary })?.value }
            let record = CheckpointRecord(
                id: row.id, runID: run.id, step: row.step, path: row.path,
                metrics: row.metrics, time: row.time, score: score)
            records.append(record)
            guard let score, !score.isNaN, let direction else { continue }
            guard let current = best, let bestScore = current.score else {
                best = record
                continue
            }
            if direction.isBetter(score, than: bestScore) {
                best = record
            } else if score == bestScore, !isWorse(record, than: current, by: secondary) {
                // A tie (accuracy 1.0 at several steps): the better secondary metric, then the latest.
                best = record
            }
        }
        return (records, best, primary, direction)
    }

    /// The metric that breaks ties of the primary one: a validation loss (or another metric whose
    /// direction is the other way), as a checkpoint with accuracy 1.0 and a lower loss is better.
    static func secondaryMetric(among names: [String], primary: String, run: RunRecord) -> (
        name: String, direction: MetricDirection
    )? {
        let candidates = Array(Set(names)).sorted().filter { $0 != primary }
        let ranked = candidates.filter(isValidationMetric) + candidates.filter { !isValidationMetric($0) }
        guard
            let name = ranked.first(where: {
                MetricDirection.infer(from: $0) != nil
                    || run.config?["experiment_monitoring"]?["metrics"]?[$0]?["mode"] != nil
            })
        else { return nil }
        return (name, direction(of: name, run: run))
    }

    /// True when `record` is worse than `other` by the secondary metric (false when either lacks it).
    static func isWorse(
        _ record: CheckpointRecord, than other: CheckpointRecord,
        by secondary: (name: String, direction: MetricDirection)?
    ) -> Bool {
        guard let secondary,
            let value = record.metrics.last(where: { $0.name == secondary.name })?.value, !value.isNaN,
            let otherValue = other.metrics.last(where: { $0.name == secondary.name })?.value, !otherValue.isNaN
        else { return false }
        return secondary.direction.isBetter(otherValue, than: value)
    }

    /// The latest value of each of the run's metrics at or before `step`: what a checkpoint
    /// registered without metrics is scored by. Walks back from `step` until every key is seen.
    static func latestValues(runID: Int64, atOrBefore step: Int64, on connection: any DatabaseConnection) throws
        -> [MetricValue]
    {
        let keys = try RunQueries.metricKeys(runID: runID, on: connection)
        guard !keys.isEmpty else { return [] }
        let query = try connection.prepare(
            """
            SELECT key_id, value FROM metric_points WHERE run_id = ? AND step <= ?
            ORDER BY attempt DESC, step DESC
            """)
        query.bind(runID, at: 1)
        query.bind(step, at: 2)
        var latest: [Int64: Double] = [:]
        while latest.count < keys.count, try query.step() {
            let key = query.int64(at: 0)
            if latest[key] == nil { latest[key] = query.doubleOrNaN(at: 1) }
        }
        return keys.compactMap { key in latest[key.id].map { MetricValue(key.name, $0) } }
    }
}
