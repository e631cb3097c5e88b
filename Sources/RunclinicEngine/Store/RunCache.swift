/// What the writer remembers about a run between calls, so logging a point costs no query.
final class RunCache {
    var record: RunRecord
    /// Last step logged per metric key id, to refuse steps that go backwards; for the keys of
    /// `lastCall`, its step is newer (see `settleLastCall`).
    var lastStepByKey: [Int64: Int64]
    /// The names of the last call's metrics, their key ids and its step: a trainer logs the same
    /// metrics every step, and matching their names in order is cheaper than two hash lookups each.
    var lastCall: (names: [String], ids: [Int64], step: Int64)?
    var lastStep: Int64?
    /// Replays after rollbacks so far; points are stored under the current attempt.
    var attempt: Int64
    /// Set when a rollback was advised: a step back to here (or later) starts the next attempt.
    var rewindToStep: Int64?

    /// Writes the last call's step into `lastStepByKey`, before anything reads it.
    func settleLastCall() {
        guard let last = lastCall else { return }
        for id in last.ids { lastStepByKey[id] = last.step }
        lastCall = nil
    }

    init(record: RunRecord, lastStepByKey: [Int64: Int64], attempt: Int64, rewindToStep: Int64?) {
        self.record = record
        self.lastStepByKey = lastStepByKey
        self.lastStep = lastStepByKey.values.max()
        self.attempt = attempt
        self.rewindToStep = rewindToStep
    }
}
