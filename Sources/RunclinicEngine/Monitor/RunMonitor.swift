/// Everything the monitor keeps about one run: detector state per metric, validation batches,
/// ongoing conditions, and the recovery bookkeeping. Rebuilt from the store after a restart by
/// replaying the run's history.
final class RunMonitor {
    let runID: Int64
    /// For alerts; kept here so announcing a verdict needs no query.
    let runName: String
    private(set) var configuration: MonitorConfiguration
    private var metrics: [String: MetricState] = [:] {
        didSet { lastStates = nil }
    }
    /// The states of the last step's metrics, in its order: a trainer logs the same names every
    /// step, and comparing them in order is cheaper than hashing each.
    private var lastStates: (names: [String], states: [MetricState])?
    private var batches = ProblematicBatchDetector()
    /// Ongoing non-finite conditions of single validation batches, by "metric#batch".
    private var batchConditions: [String: ConditionTracker] = [:]
    /// The metric plateaus and severe drops are judged on: configured, else the first validation metric.
    private(set) var primaryMetric: String?
    var recovery = RecoveryState()
    var incidents = LiveIncidents()
    /// The latest step seen: a step before it means the trainer rolled back.
    private(set) var lastStep: Int64?
    /// Steps between the primary metric's last two evaluations: how far apart anomalies of one
    /// incident may be.
    private(set) var evaluationGap: Int64 = 1
    private var lastPrimaryStep: Int64?
    /// Set when a rollback to this step was advised: until the trainer steps back, what it logs
    /// belongs to the attempt it is abandoning, and earns no further advice.
    var pendingRewind: Int64?

    init(runID: Int64, runName: String, configuration: MonitorConfiguration) {
        self.runID = runID
        self.runName = runName
        self.configuration = configuration
        primaryMetric = configuration.primaryMetric
    }

    func reconfigure(_ configuration: MonitorConfiguration) {
        self.configuration = configuration
        if let primary = configuration.primaryMetric { primaryMetric = primary }
        metrics = metrics.mapValues { state in
            state.carried(
                into: MetricProfile(name: state.profile.name, configuration: configuration),
                window: configuration.window)
        }
    }

    func profile(of name: String) -> MetricProfile {
        metrics[name]?.profile ?? MetricProfile(name: name, configuration: configuration)
    }

    private func noteStep(_ step: Int64) {
        if lastStep == nil || step > lastStep! { lastStep = step }
    }

    /// True when `step` comes before what the monitor has seen: the trainer rolled back.
    func isRewind(to step: Int64) -> Bool {
        guard let lastStep else { return false }
        return step < lastStep
    }

    /// The steps within which anomalies belong to one incident.
    var incidentGap: Int64 { max(5, evaluationGap) }

    /// Takes over what outlives a rollback from the monitor of the abandoned attempt: recovery
    /// counts and incident numbering (the detectors' state comes from replaying the lineage).
    func inherit(from abandoned: RunMonitor) {
        recovery.rollbacks = abandoned.recovery.rollbacks
        recovery.cumulativeFactor = abandoned.recovery.cumulativeFactor
        recovery.lastRollbackTrigger = abandoned.recovery.lastRollbackTrigger
        incidents = LiveIncidents(nextID: abandoned.incidents.nextID)
    }

    /// Runs every detector on one step's metrics; returns what is news.
    func observe(step: Int64, values: [MetricValue]) -> [Anomaly] {
        guard configuration.enabled else { return [] }
        noteStep(step)
        var found: [Anomaly] = []
        var finishedBatches = false
        let states = states(of: values)
        for (value, state) in zip(values, states) {
            switch state.profile.role {
            case .learningRate:
                if value.value.isFinite { recovery.learningRate = value.value }
            case .validation where !finishedBatches:
                // The step's aggregate validation metrics: its batches are all in.
                finishedBatches = true
                found += batches.finishStep(profile: profile(of:), threshold: configuration.dropThreshold)
            default:
                break
            }
            if let last = state.lastStep, step < last { state.rewind(window: configuration.window) }
            state.lastStep = step
            let raised = detect(value.value, state: state, step: step)
            for type in state.applicableTypes where !raised.contains(where: { $0.type == type }) {
                state.conditions.clear(type)
            }
            for anomaly in raised where state.conditions.shouldReport(anomaly) { found.append(anomaly) }
            if value.name == primaryMetric {
                recovery.primaryEvaluations += 1
                if let previous = lastPrimaryStep, step > previous { evaluationGap = step - previous }
                lastPrimaryStep = step
            }
        }
        return found
    }

    /// Each value's metric state, created at the metric's first value.
    private func states(of values: [MetricValue]) -> [MetricState] {
        if let last = lastStates, last.names.count == values.count,
            zip(last.names, values).allSatisfy({ $0 == $1.name })
        {
            return last.states
        }
        var states: [MetricState] = []
        states.reserveCapacity(values.count)
        for value in values {
            if let existing = metrics[value.name] {
                states.append(existing)
                continue
            }
            let state = MetricState(
                profile: MetricProfile(name: value.name, configuration: configuration), window: configuration.window)
            metrics[value.name] = state
            if primaryMetric == nil, state.profile.role == .validation, state.profile.direction != nil {
                primaryMetric = value.name
            }
            states.append(state)
        }
        lastStates = (values.map(\.name), states)
        return states
    }

    func observeBatch(step: Int64, batch: Int64, values: [MetricValue], samples: [String]) -> [Anomaly] {
        guard configuration.enabled else { return [] }
        noteStep(step)
        var found: [Anomaly] = []
        for value in values {
            let key = "\(value.name)#\(batch)"
            guard let anomaly = NonFiniteDetector.check(value.value, profile: profile(of: value.name), step: step)
            else {
                batchConditions[key]?.clear(.nonFinite)
                continue
            }
            var located = anomaly
            located.batch = batch
            located.samples = samples
            located.message = "validation batch \(batch): " + anomaly.message
            if batchConditions[key, default: ConditionTracker()].shouldReport(located) { found.append(located) }
        }
        // A batch flags only on a fresh drop against its own history, so each report is news.
        found += batches.observe(
            batch: batch, step: step, metrics: values, samples: samples, profile: profile(of:),
            threshold: configuration.dropThreshold)
        return found
    }

    private func detect(_ value: Double, state: MetricState, step: Int64) -> [Anomaly] {
        let profile = state.profile
        let name = profile.name
        if let anomaly = NonFiniteDetector.check(value, profile: profile, step: step) { return [anomaly] }
        var found: [Anomaly] = []
        if let rule = configuration.thresholds[name],
            let anomaly = ThresholdDetector.check(
                value, rule: rule, profile: profile, step: step, dropThreshold: configuration.dropThreshold)
        {
            found.append(anomaly)
        }
        switch profile.role {
        case .learningRate:
            break
        case .validation:
            if let anomaly = state.suddenDrop.observe(
                value, profile: profile, step: step, threshold: profile.dropThreshold(configuration.dropThreshold))
            {
                found.append(anomaly)
            }
            if let anomaly = state.outlier.observe(
                value, profile: profile, step: step, zThreshold: configuration.zscoreThreshold),
                !found.contains(where: { $0.type == .suddenDrop })
            {
                found.append(anomaly)
            }
            if name == primaryMetric,
                let anomaly = state.plateau.observe(
                    value, profile: profile, step: step, patience: configuration.plateauPatience,
                    minDelta: configuration.minDelta, cooldown: configuration.cooldown)
            {
                found.append(anomaly)
            }
            if let anomaly = state.overfitting.observe(
                value, training: trainingAverage(pairedWith: profile), profile: profile, step: step,
                patience: configuration.plateauPatience, threshold: profile.dropThreshold(configuration.dropThreshold))
            {
                found.append(anomaly)
            }
        case .training:
            let spike = state.spike.observe(value, profile: profile, step: step, factor: configuration.spikeFactor)
            if let spike { found.append(spike) }
            if let anomaly = state.divergence.observe(
                value, profile: profile, step: step, factor: configuration.divergenceFactor)
            {
                found.append(anomaly)
            }
            if let anomaly = state.outlier.observe(
                value, profile: profile, step: step, zThreshold: configuration.zscoreThreshold),
                spike == nil
            {
                found.append(anomaly)
            }
        }
        return found
    }

    /// The moving average of the training loss that goes with a validation loss ("val/loss" ↔ "train/loss", "loss").
    private func trainingAverage(pairedWith profile: MetricProfile) -> Double? {
        for state in metrics.values where state.profile.role == .training && state.profile.direction == .min {
            if state.profile.stem == profile.stem { return state.spike.average }
        }
        return nil
    }
}

/// Recovery bookkeeping of a run.
struct RecoveryState: Sendable {
    var rollbacks = 0
    var primaryEvaluations = 0
    var lastLRCutEvaluation: Int?
    /// The learning rate the run logged when the last cut was advised: while it has not gone down
    /// since, the trainer did not apply that cut, and another would only repeat it.
    var learningRateAtLastCut: Double?
    /// When data advice was last given (in evaluations of the primary metric).
    var dataAdviceEvaluation: Int?
    /// The step and kind of what triggered the last rollback: the same NaN at the same step again
    /// means the learning rate was not the cause.
    var lastRollbackTrigger: (step: Int64, type: AnomalyType)?
    var learningRate: Double?
    /// Product of the cuts advised, for the floor when the run logs no learning rate.
    var cumulativeFactor = 1.0
}
