import Testing

@testable import RunclinicEngine

@Suite struct RecoveryPolicyTests {
    let checkpoint = CheckpointRecord(id: 1, runID: 1, step: 80, path: "best.pt", metrics: [], time: 0, score: 0.3)

    func anomaly(_ type: AnomalyType, _ severity: AnomalySeverity = .critical, metric: String = "train/loss") -> Anomaly
    {
        Anomaly(
            type: type, metric: metric, step: 100, value: .nan, baseline: nil, magnitude: nil, severity: severity,
            message: type.rawValue)
    }

    func decide(
        _ anomalies: [Anomaly], _ state: inout RecoveryState,
        configuration: MonitorConfiguration = MonitorConfiguration(),
        checkpoint: CheckpointRecord?, step: Int64 = 100
    ) -> RecoveryAction? {
        RecoveryPolicy.decide(
            anomalies, step: step, primaryMetric: "val/acc", configuration: configuration, state: &state
        ) { checkpoint }
    }

    @Test func nanRollsBackThenStopsWhenRollbacksAreSpent() {
        var state = RecoveryState()
        var configuration = MonitorConfiguration()
        configuration.maxRollbacks = 2
        let kinds = (0..<3).map { round in
            decide(
                [anomaly(.nonFinite)], &state, configuration: configuration, checkpoint: checkpoint,
                step: 100 + Int64(round) * 10)?.kind
        }
        #expect(kinds == [.rollback, .rollback, .stop])
    }

    @Test func theSameNaNAtTheSameStepAfterARollbackStopsAndBlamesTheData() {
        var state = RecoveryState()
        let first = decide([anomaly(.nonFinite)], &state, checkpoint: checkpoint)
        let again = decide([anomaly(.nonFinite)], &state, checkpoint: checkpoint)
        #expect(
            first?.kind == .rollback && again?.kind == .stop
                && again?.reason.contains("training data at step 100") == true)
    }

    @Test func withoutACheckpoint() {
        var state = RecoveryState()
        let nan = decide([anomaly(.nonFinite)], &state, checkpoint: nil)
        #expect(nan?.kind == .stop)
        let drop = decide([anomaly(.suddenDrop, .high, metric: "val/acc")], &state, checkpoint: nil)
        #expect(drop?.kind == .rollback && drop?.checkpoint == nil)
    }

    @Test func onlyTheStrategiesConfigured() {
        var state = RecoveryState()
        var configuration = MonitorConfiguration()
        configuration.strategies = [.adjustLROnPlateau]
        let nan = decide([anomaly(.nonFinite)], &state, configuration: configuration, checkpoint: checkpoint)
        let smallDrop = decide([anomaly(.suddenDrop, .warning, metric: "val/acc")], &state, checkpoint: checkpoint)
        let otherMetric = decide([anomaly(.suddenDrop, .high, metric: "val/other")], &state, checkpoint: checkpoint)
        #expect(nan == nil && smallDrop == nil && otherMetric == nil)
    }

    @Test func plateauCutsRespectCooldownAndFloor() {
        var state = RecoveryState()
        state.learningRate = 1e-3
        var configuration = MonitorConfiguration()
        configuration.cooldown = 3
        configuration.minLR = 3e-4
        let plateau = anomaly(.plateau, .info, metric: "val/acc")
        let first = decide([plateau], &state, configuration: configuration, checkpoint: nil)
        state.primaryEvaluations += 1
        let coolingDown = decide([plateau], &state, configuration: configuration, checkpoint: nil)
        state.primaryEvaluations += 3
        state.learningRate = 5e-4
        let underFloor = decide([plateau], &state, configuration: configuration, checkpoint: nil)  // 2.5e-4 < 3e-4
        #expect(first?.kind == .reduceLR && coolingDown == nil && underFloor == nil)
    }
}
