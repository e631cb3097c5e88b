/// Which stored points make up a run's history when the trainer rolled back: each rollback starts
/// a new attempt at the step it resumed from, and the steps it replays supersede those of the
/// abandoned attempt. The lineage is the kept prefix of each attempt plus the last attempt.
struct RunLineage: Sendable {
    /// Per attempt, the first step of the next attempt that replays it (its points from there on
    /// were abandoned). Absent: nothing superseded it.
    private let supersededFrom: [Int64: Int64]

    init(attemptStarts: [(attempt: Int64, firstStep: Int64)]) {
        var superseded: [Int64: Int64] = [:]
        var earliestLater = Int64.max
        for start in attemptStarts.sorted(by: { $0.attempt > $1.attempt }) {
            if earliestLater != Int64.max { superseded[start.attempt] = earliestLater }
            earliestLater = min(earliestLater, start.firstStep)
        }
        supersededFrom = superseded
    }

    /// True when the run never rolled back (every point is in the lineage).
    var isSingleAttempt: Bool { supersededFrom.isEmpty }

    func keeps(attempt: Int64, step: Int64) -> Bool {
        guard let limit = supersededFrom[attempt] else { return true }
        return step < limit
    }

    /// One index seek per attempt (most runs have one, and need no more than the run's row): a
    /// grouped scan of the points would read every point of a long run.
    static func read(runID: Int64, on connection: any DatabaseConnection) throws -> RunLineage {
        let current = try connection.prepare("SELECT attempt FROM runs WHERE id = ?")
        current.bind(runID, at: 1)
        guard try current.step(), current.int64(at: 0) > 0 else { return RunLineage(attemptStarts: []) }
        let attempts = current.int64(at: 0)
        let first = try connection.prepare("SELECT MIN(step) FROM metric_points WHERE run_id = ? AND attempt = ?")
        var starts: [(attempt: Int64, firstStep: Int64)] = []
        for attempt in 0...attempts {
            first.reset()
            first.bind(runID, at: 1)
            first.bind(attempt, at: 2)
            if try first.step(), let step = first.optionalInt64(at: 0) { starts.append((attempt, step)) }
        }
        return RunLineage(attemptStarts: starts)
    }
}
