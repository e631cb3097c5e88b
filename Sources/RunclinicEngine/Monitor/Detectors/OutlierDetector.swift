/// A value far from its trailing window on the bad side, by robust z-score (median and MAD, so
/// the outliers themselves do not hide the next ones). Info from the threshold, a warning from
/// three times it: a window's MAD is itself uncertain, and spikes have their own detector.
struct OutlierDetector: Sendable {
    private var window: TrailingWindow
    /// Median and scale of the window, refreshed every few points: a window's median moves
    /// slowly, and sorting it for every point was the monitor's main cost.
    private var cached: (median: Double, scale: Double)?
    private var sinceRefresh = 0

    init(window: Int) {
        self.window = TrailingWindow(capacity: window)
    }

    mutating func observe(_ value: Double, profile: MetricProfile, step: Int64, zThreshold: Double) -> Anomaly? {
        guard value.isFinite else { return nil }
        defer { window.append(value) }
        // A MAD from a handful of values is too unsteady to judge by: wait for a full window.
        guard window.isFull, let direction = profile.direction else { return nil }
        sinceRefresh += 1
        if cached == nil || sinceRefresh >= max(1, window.capacity / 6) { refresh() }
        guard var (median, scale) = cached else { return nil }
        var badSide = (direction == .max ? -1 : 1) * (value - median) / scale
        // Near the line, judge on exact statistics.
        if badSide >= zThreshold / 2, sinceRefresh > 0 {
            refresh()
            (median, scale) = cached!
            badSide = (direction == .max ? -1 : 1) * (value - median) / scale
        }
        guard badSide >= zThreshold else { return nil }
        let severity: AnomalySeverity = badSide >= 3 * zThreshold ? .warning : .info
        return Anomaly(
            type: .outlier, metric: profile.name, step: step, value: value, baseline: median, magnitude: badSide,
            severity: severity,
            message:
                "\(profile.name) = \(value.shortDescription) at step \(step) is an outlier: robust z-score \(badSide.shortDescription) against the median \(median.shortDescription) of the last \(window.count) values"
        )
    }

    private mutating func refresh() {
        sinceRefresh = 0
        guard let (median, mad) = window.medianAndMAD() else { return }
        // A flat window (MAD 0) says nothing about spread: fall back to a small relative scale.
        cached = (median, max(1.4826 * mad, 1e-3 * abs(median), 1e-12))
    }
}
