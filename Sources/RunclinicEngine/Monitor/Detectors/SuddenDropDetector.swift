/// A validation score that got worse by more than `performance_drop_threshold`: suddenly against
/// the previous evaluation, or by twice that against the best so far. A drop must also stand out
/// from the metric's own evaluation-to-evaluation noise (four robust standard deviations of its
/// recent changes), so a noisy validation set does not cry wolf.
struct SuddenDropDetector: Sendable {
    private(set) var previous: Double?
    private(set) var best: Double?
    private(set) var bestStep: Int64?
    private var changes = TrailingWindow(capacity: 20)

    mutating func observe(_ value: Double, profile: MetricProfile, step: Int64, threshold: Double) -> Anomaly? {
        guard value.isFinite, let direction = profile.direction else { return nil }
        defer {
            previous = value
            if best == nil || direction.isBetter(value, than: best!) {
                best = value
                bestStep = step
            }
        }
        guard let previous, let best else { return nil }
        let fromPrevious = profile.worsening(from: previous, to: value)
        let fromBest = profile.worsening(from: best, to: value)
        let noise = changes.count >= 5 ? 1.4826 * (changes.medianAndMAD()?.mad ?? 0) : 0
        changes.append(fromPrevious)
        let threshold = max(threshold, 4 * noise)
        let magnitude: Double
        let baseline: Double
        let message: String
        let unit = direction == .max ? "" : " (relative)"
        if fromPrevious >= threshold {
            magnitude = max(fromPrevious, fromBest)
            baseline = fromBest > fromPrevious ? best : previous
            message = "\(profile.name) fell from \(previous.shortDescription) to \(value.shortDescription) at step \(step): "
                + "a drop of \(fromPrevious.shortDescription)\(unit), over the \(threshold.shortDescription) threshold"
        } else if fromBest >= 2 * threshold {
            magnitude = fromBest
            baseline = best
            message = "\(profile.name) = \(value.shortDescription) at step \(step) is \(fromBest.shortDescription)\(unit) below its best "
                + "\(best.shortDescription) (step \(bestStep ?? 0))"
        } else {
            return nil
        }
        let severity: AnomalySeverity = magnitude >= 4 * threshold ? .critical : (magnitude >= 2 * threshold ? .high : .warning)
        return Anomaly(type: .suddenDrop, metric: profile.name, step: step, value: value, baseline: baseline,
                       magnitude: magnitude, severity: severity, message: message)
    }
}
