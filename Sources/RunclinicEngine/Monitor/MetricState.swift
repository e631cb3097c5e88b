/// The streaming detectors of one metric of one run.
struct MetricState: Sendable {
    let profile: MetricProfile
    var suddenDrop = SuddenDropDetector()
    var outlier: OutlierDetector
    var spike = SpikeDetector()
    var divergence: DivergenceDetector
    var plateau = PlateauDetector()
    var overfitting = OverfittingDetector()

    init(profile: MetricProfile, window: Int) {
        self.profile = profile
        outlier = OutlierDetector(window: window)
        divergence = DivergenceDetector(window: window)
    }

    /// The anomaly types this metric can raise, so the ones not raised now end their condition.
    var applicableTypes: [AnomalyType] {
        switch profile.role {
        case .learningRate: return [.nonFinite, .threshold]
        case .validation: return [.nonFinite, .threshold, .suddenDrop, .outlier, .plateau, .overfitting]
        case .training: return [.nonFinite, .threshold, .spike, .divergence, .outlier]
        }
    }
}
