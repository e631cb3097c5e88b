/// Turns what the monitor saw into advice, following the configured strategies, once per live
/// incident:
/// - a drop carried by a few validation batches (the monitor's problematic batches) while the
///   others held: inspect or filter those batches' images (`inspect_data`); a learning-rate cut
///   cannot cure bad data;
/// - NaN/Inf, a critical spike, divergence, or a high drop of the primary metric: roll back to
///   the best checkpoint with a lower learning rate (`rollback_on_severe_drop`);
/// - divergence that the rollbacks did not cure (`max_rollbacks` spent, or no checkpoint): stop
///   (`stop_on_divergence`), as on NaN with no checkpoint to go back to;
/// - a plateau of the primary metric: cut the learning rate (`adjust_lr_on_plateau`), with a
///   cooldown and a floor, and not again while the learning rate the run logs shows that the last
///   cut was not applied.
enum RecoveryPolicy {
    static func decide(
        _ anomalies: [Anomaly], step: Int64, primaryMetric: String?, configuration: MonitorConfiguration,
        state: inout RecoveryState, incident: LiveIncidents.Open? = nil, completesStep: Bool = true,
        bestCheckpoint: () -> CheckpointRecord?
    ) -> RecoveryAction? {
        guard configuration.recoveryEnabled, !anomalies.isEmpty || incident != nil else { return nil }
        var action = advice(
            anomalies, step: step, primaryMetric: primaryMetric, configuration: configuration, state: &state,
            incident: incident, completesStep: completesStep, bestCheckpoint: bestCheckpoint)
        action?.incident = incident?.id
        return action
    }

    private static func advice(
        _ anomalies: [Anomaly], step: Int64, primaryMetric: String?, configuration: MonitorConfiguration,
        state: inout RecoveryState, incident: LiveIncidents.Open?, completesStep: Bool,
        bestCheckpoint: () -> CheckpointRecord?
    ) -> RecoveryAction? {
        let strategies = configuration.strategies
        if let incident, !incident.batches.isEmpty, !completesStep, !anomalies.contains(where: { $0.batch == nil }) {
            return nil  // batches are still arriving: the advice waits for the whole step
        }
        if let data = dataAdvice(anomalies, step: step, primaryMetric: primaryMetric, incident: incident) {
            state.dataAdviceEvaluation = state.primaryEvaluations
            return data
        }
        if let trigger = severeTrigger(anomalies, primaryMetric: primaryMetric) {
            let divergence = trigger.type == .divergence
            let mayRollBack =
                strategies.contains(.rollbackOnSevereDrop) || (divergence && strategies.contains(.stopOnDivergence))
            guard mayRollBack else { return nil }
            if state.rollbacks >= configuration.maxRollbacks {
                let cure = divergence && state.rollbacks > 0 ? "; \(state.rollbacks) rollbacks did not cure it" : ""
                return RecoveryAction(
                    kind: .stop,
                    reason: "\(trigger.message)\(cure); max_rollbacks (\(configuration.maxRollbacks)) spent",
                    step: step, checkpoint: nil, lrFactor: nil, rollbacks: state.rollbacks, trigger: trigger.type)
            }
            // The same failure at the same step after rolling back with a lower learning rate:
            // the rate was not the cause; what the trainer feeds at that step is.
            if let previous = state.lastRollbackTrigger, previous.step == step, previous.type == trigger.type,
                trigger.type == .nonFinite
            {
                return RecoveryAction(
                    kind: .stop,
                    reason:
                        "\(trigger.message) again, at the same step after rolling back with a lower learning rate: the learning rate is not the cause; look at the training data at step \(step) (a batch with NaN or Inf inputs?) and skip or fix it",
                    step: step, checkpoint: nil, lrFactor: nil, rollbacks: state.rollbacks, trigger: trigger.type)
            }
            guard let checkpoint = bestCheckpoint() else {
                if trigger.type == .nonFinite || divergence {
                    return RecoveryAction(
                        kind: .stop,
                        reason:
                            "\(trigger.message); no checkpoint to roll back to (register them with monitor.checkpoint)",
                        step: step, checkpoint: nil, lrFactor: nil, rollbacks: state.rollbacks, trigger: trigger.type)
                }
                return RecoveryAction(
                    kind: .rollback,
                    reason: "\(trigger.message); roll back, but no checkpoint is registered (monitor.checkpoint)",
                    step: step, checkpoint: nil, lrFactor: configuration.lrFactor, rollbacks: state.rollbacks,
                    trigger: trigger.type)
            }
            state.rollbacks += 1
            state.cumulativeFactor *= configuration.lrFactor
            state.lastRollbackTrigger = (step, trigger.type)
            return RecoveryAction(
                kind: .rollback,
                reason:
                    "\(trigger.message); roll back to \(checkpoint.path) (step \(checkpoint.step)) and lower the learning rate ×\(configuration.lrFactor.shortDescription)",
                step: step, checkpoint: checkpoint, lrFactor: configuration.lrFactor, rollbacks: state.rollbacks,
                trigger: trigger.type)
        }
        if let plateau = anomalies.first(where: { $0.type == .plateau && $0.metric == primaryMetric }),
            strategies.contains(.adjustLROnPlateau)
        {
            if let last = state.lastLRCutEvaluation, state.primaryEvaluations - last < configuration.cooldown {
                return nil
            }
            // Stalled since bad data was reported: the data, not the optimiser, holds it back.
            if let advised = state.dataAdviceEvaluation,
                (plateau.magnitude ?? 0) >= Double(state.primaryEvaluations - advised)
            {
                return nil
            }
            let current = state.learningRate
            if let current, let advised = state.learningRateAtLastCut, current >= advised { return nil }
            if let current, current * configuration.lrFactor < configuration.minLR { return nil }
            if current == nil, state.cumulativeFactor * configuration.lrFactor < 1e-4 { return nil }
            state.lastLRCutEvaluation = state.primaryEvaluations
            state.learningRateAtLastCut = current
            state.cumulativeFactor *= configuration.lrFactor
            let target = current.map { " (to \(($0 * configuration.lrFactor).shortDescription))" } ?? ""
            return RecoveryAction(
                kind: .reduceLR,
                reason:
                    "\(plateau.message); multiply the learning rate by \(configuration.lrFactor.shortDescription)\(target)",
                step: step, checkpoint: nil, lrFactor: configuration.lrFactor, rollbacks: nil, trigger: .plateau)
        }
        return nil
    }

    /// Data advice, once the step is complete: the incident holds batches that fell while their
    /// peers held, and a drop of the primary metric or a batch far below its peers (high) says it
    /// matters.
    private static func dataAdvice(
        _ anomalies: [Anomaly], step: Int64, primaryMetric: String?, incident: LiveIncidents.Open?
    ) -> RecoveryAction? {
        guard let incident, !incident.batches.isEmpty else { return nil }
        // A model-wide failure (NaN, divergence) is not a data problem even if batches differ.
        if anomalies.contains(where: {
            ($0.type == .nonFinite || $0.type == .divergence && $0.severity >= .high) && $0.batch == nil
        }) {
            return nil
        }
        let drop = anomalies.first { $0.type == .suddenDrop && $0.metric == primaryMetric && $0.severity >= .warning }
        guard drop != nil || incident.severeBatch else { return nil }
        let batches = incident.batches.keys.sorted()
        let samples = batches.flatMap { incident.batches[$0] ?? [] }
        let names = batches.map(String.init).joined(separator: ", ")
        let metric = incident.batchMetric ?? drop?.metric ?? primaryMetric ?? ""
        let shown = samples.prefix(3).joined(separator: ", ") + (samples.count > 3 ? ", ..." : "")
        return RecoveryAction(
            kind: .inspectData,
            reason:
                "\(metric) fell in validation batch\(batches.count > 1 ? "es" : "") \(names) while the others held (step \(step)): "
                + "inspect or filter their \(samples.count) images (\(shown)); a learning-rate cut or a rollback cannot cure bad data",
            step: step, checkpoint: nil, lrFactor: nil, rollbacks: nil, trigger: drop?.type ?? .problematicBatch,
            batches: batches,
            samples: samples)
    }

    private static func severeTrigger(_ anomalies: [Anomaly], primaryMetric: String?) -> Anomaly? {
        anomalies.first { anomaly in
            switch anomaly.type {
            case .nonFinite: return anomaly.batch == nil
            case .spike: return anomaly.severity == .critical
            case .divergence: return anomaly.severity >= .high
            case .suddenDrop: return anomaly.metric == primaryMetric && anomaly.severity >= .high
            default: return false
            }
        }
    }
}
