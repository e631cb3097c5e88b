/// A training loss far above its moving average (the loss-to-EMA ratio of Lightning's spike
/// detection). The average is not dragged up by the spike itself.
struct SpikeDetector: Sendable {
    private(set) var average: Double?
    private var count = 0
    static let warmup = 10
    static let smoothing = 0.1

    mutating func observe(_ value: Double, profile: MetricProfile, step: Int64, factor: Double) -> Anomaly? {
        guard value.isFinite, profile.direction == .min else { return nil }
        count += 1
        guard let average else {
            self.average = value
            return nil
        }
        let ratio = average > 0 ? value / average : 0
        let isSpike = count > Self.warmup && average > 0 && ratio >= factor
        let clipped = isSpike ? average * factor : value
        self.average = average + Self.smoothing * (clipped - average)
        guard isSpike else { return nil }
        let severity: AnomalySeverity = ratio >= 10 ? .critical : .high
        return Anomaly(type: .spike, metric: profile.name, step: step, value: value, baseline: average, magnitude: ratio,
                       severity: severity,
                       message: "\(profile.name) spiked to \(value.shortDescription) at step \(step), \(ratio.shortDescription)x its moving average \(average.shortDescription)")
    }
}
