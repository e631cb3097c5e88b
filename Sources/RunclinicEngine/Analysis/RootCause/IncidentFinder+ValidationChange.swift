/// Validation data that changed under a run: batches that held the same samples, then hold
/// others and keep them.
extension IncidentFinder {
    /// The first evaluation at which some validation batches, after holding the same samples for at
    /// least two evaluations, hold other samples and keep them (a loader that reshuffles every
    /// evaluation changes every batch every time, and is no change of data).
    static func validationChange(_ batchesByStep: [Int64: [BatchRecord]]) -> (
        step: Int64, batches: [Int64], total: Int
    )? {
        let steps = batchesByStep.keys.sorted()
        guard steps.count >= 4 else { return nil }
        func samples(_ step: Int64, _ batch: Int64) -> [String]? {
            batchesByStep[step]?.first { $0.batch == batch }?.samples
        }
        func same(_ a: [String]?, _ b: [String]?) -> Bool { !SampleSets.differ(a, b) }
        for index in 2..<(steps.count - 1) {
            let step = steps[index]
            let batches = (batchesByStep[step] ?? []).map(\.batch)
            let changed = batches.filter { batch in
                same(samples(steps[index - 2], batch), samples(steps[index - 1], batch))
                    && !same(samples(steps[index - 1], batch), samples(step, batch))
                    && same(samples(step, batch), samples(steps[index + 1], batch))
            }
            if !changed.isEmpty { return (step, changed.sorted(), batches.count) }
        }
        return nil
    }
}
