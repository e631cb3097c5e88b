/// A training loss far above both its moving average (the loss-to-EMA ratio of Lightning's spike
/// detection) and what its recent minibatches reach (their 90th percentile): per-step losses are
/// heavy-tailed (a hard minibatch scores 3x the typical one), so the average alone cries wolf.
/// A warning from 2.5x that percentile, high from 5x, critical at 10x both. The average is not
/// dragged up by the spike itself.
struct SpikeDetector: Sendable {
    private(set) var average: Double?
    private var count = 0
    /// Recent values that were not spikes, and their 90th percentile (refreshed every few points).
    private var recent = TrailingWindow(capacity: 100)
    private var upperQuantile: Double?
    private var sinceRefresh = 0
    static let warmup = 10
    static let smoothing = 0.1

    mutating func observe(_ value: Double, profile: MetricProfile, step: Int64, factor: Double) -> Anomaly? {
        guard value.isFinite, profile.direction == .min else { return nil }
        count += 1
        guard let average else {
            self.average = value
            recent.append(value)
            return nil
        }
        let ratio = average > 0 ? value / average : 0
        // Until enough steps say how high minibatches reach, nothing is a spike.
        let typicalHigh = upperQuantile ?? .infinity
        let overTypical = typicalHigh > 0 ? value / typicalHigh : 0
        let isSpike = count > Self.warmup && average > 0 && ratio >= factor && overTypical >= 2.5
        let clipped = isSpike ? average * factor : value
        self.average = average + Self.smoothing * (clipped - average)
        if !isSpike { remember(value) }
        guard isSpike else { return nil }
        let severity: AnomalySeverity =
            ratio >= 10 && overTypical >= 10 ? .critical : (overTypical >= 5 ? .high : .warning)
        return Anomaly(
            type: .spike, metric: profile.name, step: step, value: value, baseline: average, magnitude: ratio,
            severity: severity,
            message:
                "\(profile.name) spiked to \(value.shortDescription) at step \(step), \(ratio.shortDescription)x its moving average \(average.shortDescription) and \(overTypical.shortDescription)x what its recent steps reach (\(typicalHigh.shortDescription))"
        )
    }

    private mutating func remember(_ value: Double) {
        recent.append(value)
        sinceRefresh += 1
        guard recent.count >= 20, upperQuantile == nil || sinceRefresh >= 10 else { return }
        sinceRefresh = 0
        upperQuantile = recent.quantile(0.9)
    }
}
