/// The streaming detectors of one metric of one run, and its ongoing conditions. A class, so
/// the detectors' windows are updated in place (a struct copied out of a dictionary and back
/// would copy its buffers on every point).
final class MetricState {
    let profile: MetricProfile
    var suddenDrop = SuddenDropDetector()
    var outlier: OutlierDetector
    var spike = SpikeDetector()
    var divergence: DivergenceDetector
    var plateau = PlateauDetector()
    var overfitting = OverfittingDetector()

    var conditions = ConditionTracker()
    var lastStep: Int64?

    /// The trainer rolled back: the recent values belong to an abandoned attempt, so the
    /// short-term windows start again (bests and minimums stay).
    func rewind(window: Int) {
        outlier = OutlierDetector(window: window)
        divergence.restart(window: window)
        spike = SpikeDetector()
        conditions = ConditionTracker()
    }

    init(profile: MetricProfile, window: Int) {
        self.profile = profile
        outlier = OutlierDetector(window: window)
        divergence = DivergenceDetector(window: window)
    }

    /// The same detectors' state under new settings (a reconfigured run).
    func carried(into profile: MetricProfile, window: Int) -> MetricState {
        let state = MetricState(profile: profile, window: window)
        state.suddenDrop = suddenDrop
        state.plateau = plateau
        state.spike = spike
        state.overfitting = overfitting
        state.conditions = conditions
        return state
    }

    /// The anomaly types this metric can raise, so the ones not raised now end their condition.
    var applicableTypes: [AnomalyType] {
        switch profile.role {
        case .learningRate: return Self.learningRateTypes
        case .validation: return Self.validationTypes
        case .training: return Self.trainingTypes
        }
    }

    private static let learningRateTypes: [AnomalyType] = [.nonFinite, .threshold]
    private static let validationTypes: [AnomalyType] = [
        .nonFinite, .threshold, .suddenDrop, .outlier, .plateau, .overfitting,
    ]
    private static let trainingTypes: [AnomalyType] = [.nonFinite, .threshold, .spike, .divergence, .outlier]
}
