/// A validation score that got worse by more than `performance_drop_threshold`: suddenly against
/// the previous evaluation, or by twice that against the best so far. A drop must also stand out
/// from the metric's own evaluation-to-evaluation noise (four robust standard deviations), so a
/// noisy validation set does not cry wolf. The noise is read from second differences, which a
/// learning curve's trend (large early gains) barely moves.
struct SuddenDropDetector: Sendable {
    private(set) var previous: Double?
    private var beforePrevious: Double?
    private(set) var best: Double?
    private(set) var bestStep: Int64?
    private var curvature = TrailingWindow(capacity: 20)

    mutating func observe(_ value: Double, profile: MetricProfile, step: Int64, threshold: Double) -> Anomaly? {
        guard value.isFinite, let direction = profile.direction else { return nil }
        defer {
            if let previous, let beforePrevious { curvature.append(value - 2 * previous + beforePrevious) }
            beforePrevious = previous
            previous = value
            if best == nil || direction.isBetter(value, than: best!) {
                best = value
                bestStep = step
            }
        }
        guard let previous, let best else { return nil }
        let fromPrevious = profile.worsening(from: previous, to: value)
        let fromBest = profile.worsening(from: best, to: value)
        // The noise only ever raises the threshold: below the configured one there is nothing to
        // judge (most evaluations), and the window is not read.
        guard fromPrevious >= threshold || fromBest >= 2 * threshold else { return nil }
        // White noise of deviation s gives second differences of deviation s·√6, and
        // evaluation-to-evaluation changes of deviation s·√2.
        let noise = curvature.count >= 5 ? 1.4826 * (curvature.medianAndMAD()?.mad ?? 0) / 3.0.squareRoot() : 0
        let scale = profile.direction == .min ? max(abs(previous), 1e-12) : 1
        let threshold = max(threshold, 4 * noise / scale)
        let magnitude: Double
        let baseline: Double
        let message: String
        let unit = direction == .max ? "" : " (relative)"
        if fromPrevious >= threshold {
            magnitude = max(fromPrevious, fromBest)
            baseline = fromBest > fromPrevious ? best : previous
            message =
                "\(profile.name) \(direction == .max ? "fell" : "rose") from \(previous.shortDescription) to \(value.shortDescription) at step \(step): "
                + "a drop of \(fromPrevious.shortDescription)\(unit), over the \(threshold.shortDescription) threshold"
        } else if fromBest >= 2 * threshold {
            magnitude = fromBest
            baseline = best
            message =
                "\(profile.name) = \(value.shortDescription) at step \(step) is \(fromBest.shortDescription)\(unit) \(direction == .max ? "below" : "above") its best "
                + "\(best.shortDescription) (step \(bestStep ?? 0))"
        } else {
            return nil
        }
        let severity: AnomalySeverity =
            magnitude >= 4 * threshold ? .critical : (magnitude >= 2 * threshold ? .high : .warning)
        return Anomaly(
            type: .suddenDrop, metric: profile.name, step: step, value: value, baseline: baseline,
            magnitude: magnitude, severity: severity, message: message)
    }
}
