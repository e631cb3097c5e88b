/// What the writer remembers about a run between calls, so logging a point costs no query.
final class RunCache {
    var record: RunRecord
    /// Last step logged per metric key id, to refuse steps that go backwards.
    var lastStepByKey: [Int64: Int64]
    var lastStep: Int64?
    /// Replays after rollbacks so far; points are stored under the current attempt.
    var attempt: Int64
    /// Set when a rollback was advised: a step back to here (or later) starts the next attempt.
    var rewindToStep: Int64?

    init(record: RunRecord, lastStepByKey: [Int64: Int64], attempt: Int64, rewindToStep: Int64?) {
        self.record = record
        self.lastStepByKey = lastStepByKey
        self.lastStep = lastStepByKey.values.max()
        self.attempt = attempt
        self.rewindToStep = rewindToStep
    }
}
