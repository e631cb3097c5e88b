/// Everything the monitor keeps about one run: detector state per metric, validation batches,
/// ongoing conditions, and the recovery bookkeeping. Rebuilt from the store after a restart by
/// replaying the run's history.
final class RunMonitor {
    let runID: Int64
    private(set) var configuration: MonitorConfiguration
    private var metrics: [String: MetricState] = [:]
    private var batches = ProblematicBatchDetector()
    private var conditions = ConditionTracker()
    /// The metric plateaus and severe drops are judged on: configured, else the first validation metric.
    private(set) var primaryMetric: String?
    var recovery = RecoveryState()

    init(runID: Int64, configuration: MonitorConfiguration) {
        self.runID = runID
        self.configuration = configuration
        primaryMetric = configuration.primaryMetric
    }

    func reconfigure(_ configuration: MonitorConfiguration) {
        self.configuration = configuration
        if let primary = configuration.primaryMetric { primaryMetric = primary }
        metrics = metrics.mapValues { state in
            var updated = MetricState(profile: MetricProfile(name: state.profile.name, configuration: configuration),
                                      window: configuration.window)
            updated.suddenDrop = state.suddenDrop
            updated.plateau = state.plateau
            updated.spike = state.spike
            updated.overfitting = state.overfitting
            return updated
        }
    }

    func profile(of name: String) -> MetricProfile {
        metrics[name]?.profile ?? MetricProfile(name: name, configuration: configuration)
    }

    /// Runs every detector on one step's metrics; returns what is news.
    func observe(step: Int64, values: [MetricValue]) -> [Anomaly] {
        guard configuration.enabled else { return [] }
        var found: [Anomaly] = []
        if values.contains(where: { profile(of: $0.name).role == .validation }) {
            found += report(batches.finishStep(profile: profile(of:), threshold: configuration.dropThreshold), clearing: [])
        }
        for value in values {
            if metrics[value.name] == nil {
                let state = MetricState(profile: MetricProfile(name: value.name, configuration: configuration), window: configuration.window)
                metrics[value.name] = state
                if primaryMetric == nil, state.profile.role == .validation, state.profile.direction != nil {
                    primaryMetric = value.name
                }
            }
            if metrics[value.name]!.profile.role == .learningRate, value.value.isFinite { recovery.learningRate = value.value }
            let raised = detect(value.value, metric: value.name, step: step)
            found += report(raised, clearing: metrics[value.name]!.applicableTypes, metric: value.name)
            if value.name == primaryMetric { recovery.primaryEvaluations += 1 }
        }
        return found
    }

    func observeBatch(step: Int64, batch: Int64, values: [MetricValue], samples: [String]) -> [Anomaly] {
        guard configuration.enabled else { return [] }
        var found: [Anomaly] = []
        for value in values {
            if let anomaly = NonFiniteDetector.check(value.value, profile: profile(of: value.name), step: step) {
                var located = anomaly
                located.batch = batch
                located.samples = samples
                located.message = "validation batch \(batch): " + anomaly.message
                found.append(located)
            }
        }
        found += batches.observe(batch: batch, step: step, metrics: values, samples: samples, profile: profile(of:),
                                 threshold: configuration.dropThreshold)
        // A batch flags only on a fresh drop against its own history, so each report is news.
        return found.filter { $0.type == .problematicBatch || conditions.shouldReport($0) }
    }

    private func detect(_ value: Double, metric name: String, step: Int64) -> [Anomaly] {
        var state = metrics[name]!
        defer { metrics[name] = state }
        let profile = state.profile
        if let anomaly = NonFiniteDetector.check(value, profile: profile, step: step) { return [anomaly] }
        var found: [Anomaly] = []
        if let rule = configuration.thresholds[name],
           let anomaly = ThresholdDetector.check(value, rule: rule, profile: profile, step: step, dropThreshold: configuration.dropThreshold) {
            found.append(anomaly)
        }
        switch profile.role {
        case .learningRate:
            break
        case .validation:
            if let anomaly = state.suddenDrop.observe(value, profile: profile, step: step, threshold: profile.dropThreshold(configuration.dropThreshold)) {
                found.append(anomaly)
            }
            if let anomaly = state.outlier.observe(value, profile: profile, step: step, zThreshold: configuration.zscoreThreshold),
               !found.contains(where: { $0.type == .suddenDrop }) {
                found.append(anomaly)
            }
            if name == primaryMetric,
               let anomaly = state.plateau.observe(value, profile: profile, step: step, patience: configuration.plateauPatience,
                                                   minDelta: configuration.minDelta, cooldown: configuration.cooldown) {
                found.append(anomaly)
            }
            if let anomaly = state.overfitting.observe(value, training: trainingAverage(pairedWith: name), profile: profile, step: step,
                                                       patience: configuration.plateauPatience, threshold: profile.dropThreshold(configuration.dropThreshold)) {
                found.append(anomaly)
            }
        case .training:
            let spike = state.spike.observe(value, profile: profile, step: step, factor: configuration.spikeFactor)
            if let spike { found.append(spike) }
            if let anomaly = state.divergence.observe(value, profile: profile, step: step, factor: configuration.divergenceFactor) {
                found.append(anomaly)
            }
            if let anomaly = state.outlier.observe(value, profile: profile, step: step, zThreshold: configuration.zscoreThreshold),
               spike == nil {
                found.append(anomaly)
            }
        }
        return found
    }

    /// Reports what is news and ends the conditions of the types this value no longer shows.
    private func report(_ raised: [Anomaly], clearing types: [AnomalyType], metric: String = "") -> [Anomaly] {
        for type in types where !raised.contains(where: { $0.type == type }) {
            conditions.clear(type, metric: metric)
        }
        return raised.filter { conditions.shouldReport($0) }
    }

    /// The moving average of the training loss that goes with a validation loss ("val/loss" ↔ "train/loss", "loss").
    private func trainingAverage(pairedWith name: String) -> Double? {
        let stem = Self.stem(of: name)
        for state in metrics.values where state.profile.role == .training && state.profile.direction == .min {
            if Self.stem(of: state.profile.name) == stem { return state.spike.average }
        }
        return nil
    }

    static func stem(of name: String) -> [Substring] {
        let phases: Set<Substring> = ["val", "valid", "validation", "eval", "test", "dev", "train", "training"]
        return name.lowercased().split { !$0.isLetter && !$0.isNumber }.filter { !phases.contains($0) }
    }
}

/// Recovery bookkeeping of a run.
struct RecoveryState: Sendable {
    var rollbacks = 0
    var primaryEvaluations = 0
    var lastLRCutEvaluation: Int?
    var learningRate: Double?
    /// Product of the cuts advised, for the floor when the run logs no learning rate.
    var cumulativeFactor = 1.0
}
