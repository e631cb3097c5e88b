extension RunStore {
    /// Registers a checkpoint and answers with the best one so far by the run's primary metric.
    /// Without metrics, the checkpoint is scored by the latest values logged at or before its step.
    public func registerCheckpoint(run reference: RunReference, step: Int64, path: String, metrics: [MetricValue]?)
        throws -> CheckpointOutcome
    {
        guard step >= 0 else {
            throw EngineError.invalidArgument(field: "step", reason: "expected a non-negative integer, got \(step)")
        }
        guard !path.isEmpty else { throw EngineError.invalidArgument(field: "path", reason: "must not be empty") }
        let checkpointID: Int64 = try write { state in
            try state.writeNow {
                let run = try state.runForWriting(reference)
                var snapshot = try CheckpointQueries.latestValues(
                    runID: run.record.id, atOrBefore: step, on: state.connection)
                for metric in metrics ?? [] {
                    snapshot.removeAll { $0.name == metric.name }
                    snapshot.append(metric)
                }
                let insert = try state.connection.prepare(
                    "INSERT INTO checkpoints (run_id, step, path, metrics, time) VALUES (?, ?, ?, ?, ?) RETURNING id")
                insert.bind(run.record.id, at: 1)
                insert.bind(step, at: 2)
                insert.bind(path, at: 3)
                insert.bind(MetricValue.jsonText(snapshot), at: 4)
                insert.bind(WallClock.now(), at: 5)
                return try insert.insertReturningID()
            }
        }
        return try read { connection in
            let run = try resolveForReading(reference, on: connection)
            let ranking = try CheckpointQueries.ranked(run: run, on: connection)
            guard let checkpoint = ranking.checkpoints.first(where: { $0.id == checkpointID }) else {
                throw EngineError.storage("checkpoint \(checkpointID) vanished after it was written")
            }
            return CheckpointOutcome(
                checkpoint: checkpoint, best: ranking.best, primaryMetric: ranking.primary, direction: ranking.direction
            )
        }
    }

    /// All checkpoints of a run and the best of them.
    public func checkpoints(run reference: RunReference) throws -> (
        checkpoints: [CheckpointRecord], best: CheckpointRecord?, primaryMetric: String?
    ) {
        try read { connection in
            let run = try resolveForReading(reference, on: connection)
            let ranking = try CheckpointQueries.ranked(run: run, on: connection)
            return (ranking.checkpoints, ranking.best, ranking.primary)
        }
    }
}
