/// A training loss that runs away: held above `divergence_factor` times its running minimum, or
/// rising across the window (the second half's mean well above the first half's).
struct DivergenceDetector: Sendable {
    private var window: TrailingWindow
    private(set) var minimum: Double?
    private var aboveCount = 0
    private var count = 0
    /// The trend test sorts the window: it runs every sixth of a window, which delays it by at
    /// most that many steps.
    private var sinceTrendCheck = 0

    init(window: Int) {
        self.window = TrailingWindow(capacity: window)
    }

    /// Forgets the recent values, keeping the running minimum.
    mutating func restart(window: Int) {
        self.window = TrailingWindow(capacity: window)
        aboveCount = 0
        count = 0
        sinceTrendCheck = 0
    }

    mutating func observe(_ value: Double, profile: MetricProfile, step: Int64, factor: Double) -> Anomaly? {
        guard value.isFinite, profile.direction == .min else { return nil }
        count += 1
        window.append(value)
        defer { if minimum == nil || value < minimum! { minimum = value } }
        guard let minimum, minimum > 0, count > window.capacity else { return nil }
        let sustain = max(3, window.capacity / 6)
        if value >= factor * minimum { aboveCount += 1 } else { aboveCount = 0 }
        if aboveCount >= sustain {
            return Anomaly(type: .divergence, metric: profile.name, step: step, value: value, baseline: minimum,
                           magnitude: value / minimum, severity: .critical,
                           message: "\(profile.name) has diverged: \(value.shortDescription) at step \(step), \((value / minimum).shortDescription)x its minimum \(minimum.shortDescription), for \(aboveCount) steps")
        }
        sinceTrendCheck += 1
        guard window.isFull, sinceTrendCheck >= max(1, window.capacity / 6) else { return nil }
        sinceTrendCheck = 0
        let values = window.values
        let half = values.count / 2
        let earlier = TrailingWindow.median(Array(values[..<half]))
        let later = TrailingWindow.median(Array(values[half...]))
        let rise = earlier > 0 ? later / earlier : 0
        // Rising by half again within one window while already well above the best seen.
        guard rise >= 1.5, later >= 1.5 * minimum else { return nil }
        return Anomaly(type: .divergence, metric: profile.name, step: step, value: value, baseline: earlier, magnitude: rise,
                       severity: .high,
                       message: "\(profile.name) is trending up: the median of the last \(values.count - half) steps is \(rise.shortDescription)x the \(half) before (\(earlier.shortDescription) → \(later.shortDescription)) at step \(step)")
    }
}
