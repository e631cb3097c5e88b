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

    static func read(runID: Int64, on connection: SQLiteConnection) throws -> RunLineage {
        let query = try connection.prepare("SELECT attempt, MIN(step) FROM metric_points WHERE run_id = ? GROUP BY attempt")
        query.bind(runID, at: 1)
        var starts: [(attempt: Int64, firstStep: Int64)] = []
        while try query.step() { starts.append((query.int64(at: 0), query.int64(at: 1))) }
        return RunLineage(attemptStarts: starts)
    }
}
