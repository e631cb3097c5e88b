import Foundation

/// A training loss that runs away, judged on its level (trailing medians), never on single
/// minibatch values: a per-step loss is noisy and heavy-tailed, and its raw minimum sits far below
/// its typical level, so "N x the minimum" fires on ordinary noise.
/// - critical: the short-term level (median of the last 25 values) held above `divergence_factor`
///   times the best long-term level (the lowest median of the last 100 values, or a window if
///   longer) for a sixth of a window;
/// - high: the long-term level at twice its best and still rising;
/// - warning: a slow divergence, flagged while there is time to act: the long-term level half
///   again above its best and rising over each quarter of the last 200 values; or a significant
///   upward trend of the log loss over those 200 values (slope z >= 4, a rise of a quarter across
///   them) with the level a fifth above its best.
/// The best of many noisy levels sits below the true best (a median of 100 exponential-like
/// minibatch losses varies by ~10%), hence the margins.
struct DivergenceDetector: Sendable {
    private var window: TrailingWindow
    private var recent = TrailingWindow(capacity: 25)
    /// The last two levels' worth of values, for the block medians of the trend test.
    private var history: TrailingWindow
    private(set) var bestLevel: Double?
    private var aboveCount = 0
    private var sinceLevel = 0
    private let sustain: Int

    init(window: Int) {
        let length = max(window, 100)
        self.window = TrailingWindow(capacity: length)
        history = TrailingWindow(capacity: 2 * length)
        sustain = max(3, window / 6)
    }

    /// Forgets the recent values, keeping the best level.
    mutating func restart(window: Int) {
        let best = bestLevel
        self = DivergenceDetector(window: window)
        bestLevel = best
    }

    mutating func observe(_ value: Double, profile: MetricProfile, step: Int64, factor: Double) -> Anomaly? {
        guard value.isFinite, profile.direction == .min else { return nil }
        window.append(value)
        history.append(value)
        recent.append(value)
        guard window.isFull else { return nil }
        // The short median can only be over the line while the newest value is, or a streak runs.
        if let best = bestLevel, best > 0, value >= factor * best || aboveCount > 0 {
            let short = TrailingWindow.median(recent.values)
            if short >= factor * best { aboveCount += 1 } else { aboveCount = 0 }
            if aboveCount >= sustain {
                return Anomaly(
                    type: .divergence, metric: profile.name, step: step, value: short, baseline: best,
                    magnitude: short / best, severity: .critical,
                    message:
                        "\(profile.name) has diverged: its level (median of the last \(recent.count) steps) is \(short.shortDescription) at step \(step), \((short / best).shortDescription)x its best level \(best.shortDescription), for \(aboveCount) steps"
                )
            }
        }
        // The long-term level moves slowly: it is measured every tenth value.
        sinceLevel += 1
        guard bestLevel == nil || sinceLevel >= 10 else { return nil }
        sinceLevel = 0
        let level = TrailingWindow.median(window.values)
        guard let best = bestLevel, best > 0 else {
            bestLevel = level
            return nil
        }
        if level < best { bestLevel = level }
        let rise = level / best
        guard rise >= 1.2, history.isFull else { return nil }
        let values = history.values
        let quarter = values.count / 4
        let blocks = (0..<4).map { TrailingWindow.median(Array(values[($0 * quarter)..<(($0 + 1) * quarter)])) }
        let risingQuarters = rise >= 1.5 && zip(blocks.dropFirst(), blocks).allSatisfy { $0 > $1 }
        let trend = risingQuarters ? nil : Self.logTrend(values)
        guard risingQuarters || (trend.map { $0.z >= 4 && $0.rise >= 1.25 } ?? false) else { return nil }
        let severity: AnomalySeverity = rise >= 2 ? .high : .warning
        let how =
            risingQuarters
            ? "has risen over each quarter of the last \(values.count) steps"
            : "its trend over the last \(values.count) steps rises \(trend!.rise.shortDescription)x (z = \(trend!.z.shortDescription))"
        return Anomaly(
            type: .divergence, metric: profile.name, step: step, value: level, baseline: best, magnitude: rise,
            severity: severity,
            message:
                "\(profile.name) is trending up: its level (median of the last \(window.count) steps) is \(level.shortDescription) at step \(step), \(rise.shortDescription)x its best level \(best.shortDescription), and \(how)"
        )
    }

    /// The least-squares slope of the log values over their index: how much it multiplies the
    /// value across them, and its z-score (log-normal minibatch noise is normal in logs).
    static func logTrend(_ values: [Double]) -> (rise: Double, z: Double)? {
        guard values.count >= 10, values.allSatisfy({ $0 > 0 }) else { return nil }
        let logs = values.map { Foundation.log($0) }
        let count = Double(logs.count)
        let middle = (count - 1) / 2
        let mean = logs.reduce(0, +) / count
        var spread = 0.0
        var product = 0.0
        for (index, value) in logs.enumerated() {
            let t = Double(index) - middle
            spread += t * t
            product += t * (value - mean)
        }
        let slope = product / spread
        var residual = 0.0
        for (index, value) in logs.enumerated() {
            let error = value - mean - slope * (Double(index) - middle)
            residual += error * error
        }
        let deviation = (residual / (count - 2)).squareRoot()
        guard deviation > 0 else { return slope > 0 ? (Foundation.exp(slope * count), .infinity) : nil }
        return (Foundation.exp(slope * count), slope / (deviation / spread.squareRoot()))
    }
}
