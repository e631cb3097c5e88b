import RunclinicJSON
import RunclinicText

extension RunStore {
    /// Stores one step's metrics. Steps of a metric never go backwards; a refused call writes nothing.
    /// Returns the run's id.
    @discardableResult
    public func logMetrics(
        run reference: RunReference, step: Int64, metrics: [MetricValue], time: Double? = nil,
        durability: Durability
    ) throws -> Int64 {
        try validate(step: step)
        let window = commitWindow
        return try write { state in
            let run = try state.runForWriting(reference)
            try state.insertPoints(run: run, step: step, metrics: metrics, time: time ?? WallClock.now())
            if durability == .deferred { state.noteDeferred(run: run.record.id, points: metrics.count, step: step) }
            try state.finish(durability, window: window)
            return run.record.id
        }
    }

    /// Stores one validation batch's metrics and the samples it held (under the run's current attempt).
    /// Returns the run's id.
    @discardableResult
    public func logBatch(
        run reference: RunReference, step: Int64, batch: Int64, phase: String, metrics: [MetricValue],
        samples: [String], time: Double? = nil, durability: Durability
    ) throws -> Int64 {
        try validate(step: step)
        guard batch >= 0 else {
            throw EngineError.invalidArgument(field: "batch", reason: "expected a non-negative integer, got \(batch)")
        }
        let window = commitWindow
        return try write { state in
            let run = try state.runForWriting(reference)
            try state.insertBatch(
                run: run, step: step, batch: batch, phase: phase, metrics: metrics, samples: samples,
                time: time ?? WallClock.now())
            if durability == .deferred { state.noteDeferred(run: run.record.id, points: 1, step: step) }
            try state.finish(durability, window: window)
            return run.record.id
        }
    }

    private func validate(step: Int64) throws {
        guard step >= 0 else {
            throw EngineError.invalidArgument(field: "step", reason: "expected a non-negative integer, got \(step)")
        }
    }

    /// Which points of a run that rolled back: its lineage (what the run is now), or the points
    /// of abandoned attempts that the lineage replaced.
    public enum Attempts: String, Sendable, CaseIterable { case lineage, superseded }

    /// The run's metric series, optionally only some keys and a step range: by default its
    /// lineage, so a rolled-back run reads as one history, without the abandoned attempt's steps.
    /// `isCancelled` is polled while reading, so a long read can be abandoned.
    public func metrics(
        run reference: RunReference, keys: [String]? = nil, sinceStep: Int64? = nil,
        untilStep: Int64? = nil, attempts: Attempts = .lineage,
        isCancelled: () -> Bool = { false }
    ) throws -> [(name: String, series: MetricSeries)] {
        try read { connection in
            let run = try resolveForReading(reference, on: connection)
            let runKeys = try RunQueries.metricKeys(runID: run.id, on: connection)
            var selected = runKeys
            if let keys {
                selected = []
                for key in keys {
                    guard let match = runKeys.first(where: { $0.name == key }) else {
                        throw EngineError.invalidArgument(
                            field: "keys",
                            reason: "run '\(run.name)' has no metric '\(key)'"
                                + (ClosestName.closest(to: key, among: runKeys.map(\.name)).map {
                                    ", did you mean \($0)?"
                                } ?? "")
                                + " (it has: \(runKeys.map(\.name).joined(separator: ", ")))")
                    }
                    selected.append(match)
                }
            }
            let lineage = try RunLineage.read(runID: run.id, on: connection)
            let wantLineage = attempts == .lineage
            // One pass over the run's points (they are clustered by run and step), sorted into series.
            let query = try connection.prepare(
                """
                SELECT key_id, step, value, time, attempt FROM metric_points
                WHERE run_id = ? AND step >= ? AND step <= ? ORDER BY attempt, step
                """)
            query.bind(run.id, at: 1)
            query.bind(sinceStep ?? Int64.min, at: 2)
            query.bind(untilStep ?? Int64.max, at: 3)
            var slotByKey: [Int64: Int] = [:]
            for (slot, key) in selected.enumerated() { slotByKey[key.id] = slot }
            var series = [MetricSeries](repeating: MetricSeries(), count: selected.count)
            var rows = 0
            while try query.step() {
                rows += 1
                if rows & 0xFFF == 0, isCancelled() { throw EngineError.cancelled }
                guard let slot = slotByKey[query.int64(at: 0)] else { continue }
                if !lineage.isSingleAttempt || !wantLineage,
                    lineage.keeps(attempt: query.int64(at: 4), step: query.int64(at: 1)) != wantLineage
                {
                    continue
                }
                series[slot].steps.append(query.int64(at: 1))
                series[slot].values.append(query.doubleOrNaN(at: 2))
                series[slot].times.append(query.double(at: 3))
            }
            let result = zip(selected, series).map { (name: $0.name, series: $1) }
            return result
        }
    }

    /// Validation batch records, optionally at one step and/or one batch index.
    public func batches(run reference: RunReference, step: Int64? = nil, batch: Int64? = nil) throws -> [BatchRecord] {
        try read { connection in
            let run = try resolveForReading(reference, on: connection)
            let lineage = try RunLineage.read(runID: run.id, on: connection)
            var sql = "SELECT step, batch, phase, metrics, samples, time, attempt FROM batches WHERE run_id = ?"
            if step != nil { sql += " AND step = ?" }
            if batch != nil { sql += " AND batch = ?" }
            sql += " ORDER BY step, batch, id"
            let query = try connection.prepare(sql)
            query.bind(run.id, at: 1)
            var index: Int32 = 2
            if let step {
                query.bind(step, at: index)
                index += 1
            }
            if let batch { query.bind(batch, at: index) }
            var records: [BatchRecord] = []
            while try query.step() {
                // Batches of an abandoned attempt are not part of the run's history.
                guard lineage.keeps(attempt: query.int64(at: 6), step: query.int64(at: 0)) else { continue }
                let samples =
                    (query.text(at: 4).flatMap { try? JSONParser.parse($0) })?.arrayValue?.compactMap(\.stringValue)
                    ?? []
                records.append(
                    BatchRecord(
                        runID: run.id, step: query.int64(at: 0), batch: query.int64(at: 1),
                        phase: query.text(at: 2) ?? "",
                        metrics: MetricValue.parse(jsonText: query.text(at: 3) ?? "{}"), samples: samples,
                        time: query.double(at: 5)))
            }
            return records
        }
    }
}
