/// A value far from its trailing window on the bad side, by robust z-score (median and MAD, so
/// the outliers themselves do not hide the next ones). Info from the threshold, a warning from
/// three times it: a window's MAD is itself uncertain, and spikes have their own detector.
struct OutlierDetector: Sendable {
    private var window: TrailingWindow

    init(window: Int) {
        self.window = TrailingWindow(capacity: window)
    }

    mutating func observe(_ value: Double, profile: MetricProfile, step: Int64, zThreshold: Double) -> Anomaly? {
        guard value.isFinite else { return nil }
        defer { window.append(value) }
        // A MAD from a handful of values is too unsteady to judge by: wait for a full window.
        guard window.isFull, let direction = profile.direction,
              let (median, mad) = window.medianAndMAD() else { return nil }
        // A flat window (MAD 0) says nothing about spread: fall back to a small relative scale.
        let scale = max(1.4826 * mad, 1e-3 * abs(median), 1e-12)
        let z = (value - median) / scale
        let badSide = direction == .max ? -z : z
        guard badSide >= zThreshold else { return nil }
        let severity: AnomalySeverity = badSide >= 3 * zThreshold ? .warning : .info
        return Anomaly(type: .outlier, metric: profile.name, step: step, value: value, baseline: median, magnitude: badSide,
                       severity: severity,
                       message: "\(profile.name) = \(value.shortDescription) at step \(step) is an outlier: robust z-score \(badSide.shortDescription) against the median \(median.shortDescription) of the last \(window.count) values")
    }
}
