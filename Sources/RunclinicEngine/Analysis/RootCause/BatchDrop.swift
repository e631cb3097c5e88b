/// How a drop at one step spreads over the validation batches: which batches fell against their
/// own earlier evaluations, and how much of the total worsening they carry.
struct BatchDrop: Sendable {
    struct Change: Sendable {
        let batch: Int64
        let baseline: Double
        let value: Double
        /// Worsening against the batch's own history (MetricProfile.worsening).
        let worsening: Double
        let samples: [String]
        let previousSamples: [String]?
        /// The samples of the evaluation before the previous one: whether the batch held still
        /// before (a loader that reshuffles every evaluation changes every batch every time).
        let earlierSamples: [String]?
        /// When this evaluation and the previous one were logged (wall clock).
        let time: Double
        let previousTime: Double?
    }

    let changes: [Change]
    let dropped: [Change]
    let stable: [Change]

    /// Share of the batches' total worsening carried by the dropped batches (0-1).
    var share: Double {
        let total = changes.reduce(0) { $0 + max(0, $1.worsening) }
        guard total > 0 else { return 0 }
        return dropped.reduce(0) { $0 + max(0, $1.worsening) } / total
    }

    /// True when a minority of batches carries most of the drop: a data cause is worth looking for.
    var isConcentrated: Bool {
        !dropped.isEmpty && share >= 0.5 && Double(dropped.count) <= 0.5 * Double(changes.count)
    }

    /// The batches of `metric` at `step` against their own last three evaluations before it. A
    /// batch dropped when it worsened by the drop threshold and by four robust deviations beyond
    /// the batches' median change.
    init?(metric: String, step: Int64, batchesByStep: [Int64: [BatchRecord]], profile: MetricProfile, threshold: Double)
    {
        guard let current = batchesByStep[step], !current.isEmpty else { return nil }
        let earlierSteps = batchesByStep.keys.filter { $0 < step }.sorted()
        var changes: [Change] = []
        for record in current {
            guard let value = record.metrics.first(where: { $0.name == metric })?.value, value.isFinite else {
                continue
            }
            var history: [Double] = []
            var previousSamples: [String]? = nil
            var earlierSamples: [String]? = nil
            var previousTime: Double? = nil
            for earlier in earlierSteps.reversed() {
                guard let match = batchesByStep[earlier]?.first(where: { $0.batch == record.batch }),
                    let old = match.metrics.first(where: { $0.name == metric })?.value, old.isFinite
                else { continue }
                if previousSamples == nil {
                    previousSamples = match.samples
                    previousTime = match.time
                } else if earlierSamples == nil {
                    earlierSamples = match.samples
                }
                history.append(old)
                if history.count == 3 { break }
            }
            guard !history.isEmpty else { continue }
            let baseline = TrailingWindow.median(history)
            changes.append(
                Change(
                    batch: record.batch, baseline: baseline, value: value,
                    worsening: profile.worsening(from: baseline, to: value), samples: record.samples,
                    previousSamples: previousSamples, earlierSamples: earlierSamples, time: record.time,
                    previousTime: previousTime))
        }
        guard changes.count >= 2 else { return nil }
        let worsenings = changes.map(\.worsening)
        let median = TrailingWindow.median(worsenings)
        let deviation = 1.4826 * TrailingWindow.median(worsenings.map { abs($0 - median) })
        let limit = max(threshold, median + 4 * deviation)
        self.changes = changes
        dropped = changes.filter { $0.worsening >= limit }
        stable = changes.filter { $0.worsening < limit }
    }
}
