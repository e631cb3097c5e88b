import Foundation
import Testing

@testable import RunclinicEngine

@Suite struct DetectorTests {
    let configuration = MonitorConfiguration()
    func profile(_ name: String) -> MetricProfile { MetricProfile(name: name, configuration: configuration) }

    @Test func rolesAndDirections() {
        #expect(profile("val/recall").role == .validation && profile("val/recall").direction == .max)
        #expect(profile("train_loss").role == .training && profile("train_loss").direction == .min)
        #expect(profile("learning_rate").role == .learningRate)
        #expect(profile("val/loss").dropThreshold(0.05) == 0.1 && profile("val/acc").dropThreshold(0.05) == 0.05)
    }

    @Test func theHandbooksRecallDropIsHigh() throws {
        var detector = SuddenDropDetector()
        for (step, value) in [(1, 0.80), (2, 0.86), (3, 0.89)] {
            let quiet = detector.observe(value, profile: profile("val/recall"), step: Int64(step), threshold: 0.05)
            #expect(quiet == nil)
        }
        let found = detector.observe(0.74, profile: profile("val/recall"), step: 2049, threshold: 0.05)
        let drop = try #require(found)
        #expect(drop.severity == .high && drop.baseline == 0.89)
        #expect(abs(drop.magnitude! - 0.15) < 1e-9)
    }

    @Test func outliersCountOnlyOnTheBadSide() {
        var detector = OutlierDetector(window: 30)
        let loss = profile("train/loss")
        for step in 0..<30 {
            _ = detector.observe(1.0 + Double(step % 3) * 0.01, profile: loss, step: Int64(step), zThreshold: 3)
        }
        let better = detector.observe(0.5, profile: loss, step: 30, zThreshold: 3)
        #expect(better == nil)  // much better: fine
        let worse = detector.observe(1.5, profile: loss, step: 31, zThreshold: 3)
        #expect(worse?.type == .outlier)
    }

    @Test func aSpikeIsJudgedAgainstTheMovingAverageAndDoesNotRaiseIt() {
        var detector = SpikeDetector()
        let loss = profile("train/loss")
        var early: [Anomaly] = []
        for step in 0..<20 {
            early += [detector.observe(1.0, profile: loss, step: Int64(step), factor: 3)].compactMap { $0 }
        }
        #expect(early.isEmpty)
        let warning = detector.observe(3.0, profile: loss, step: 20, factor: 3)
        let high = detector.observe(6.0, profile: loss, step: 21, factor: 3)
        let critical = detector.observe(15.0, profile: loss, step: 22, factor: 3)
        #expect(warning?.severity == .warning)
        #expect(high?.severity == .high)
        #expect(critical?.severity == .critical)
        #expect(detector.average! < 2)
    }

    /// Minibatch losses around `level`: log-normal, the 90th percentile about twice the median.
    static func minibatchLoss(_ level: Double, _ generator: inout SplitMix) -> Double {
        let u = Double.random(in: 1e-12..<1, using: &generator)
        let v = Double.random(in: 0..<1, using: &generator)
        return level * exp(0.55 * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
    }

    @Test func minibatchNoiseIsNoSpike() {
        var detector = SpikeDetector()
        let loss = profile("train/loss")
        var generator = SplitMix(state: 11)
        var found: [Anomaly] = []
        for step in 0..<5_000 {
            let value = Self.minibatchLoss(0.05 + 2 * exp(-Double(step) / 500), &generator)
            found += [detector.observe(value, profile: loss, step: Int64(step), factor: 3)].compactMap { $0 }
        }
        #expect(found.allSatisfy { $0.severity < .high })
    }

    @Test func plateauFollowsReduceLROnPlateau() {
        var detector = PlateauDetector()
        let acc = profile("val/acc")
        var fired: [Int] = []
        for evaluation in 0..<30 {
            let value = evaluation < 3 ? 0.5 + Double(evaluation) * 0.1 : 0.7
            if detector.observe(value, profile: acc, step: Int64(evaluation), patience: 4, minDelta: 1e-3, cooldown: 2)
                != nil
            {
                fired.append(evaluation)
            }
        }
        // Best at evaluation 2; fires after 4 without improvement, then after 2 of cooldown and 4 more.
        #expect(fired == [6, 12, 18, 24])
    }

    @Test func divergenceNeedsASustainedRise() {
        var detector = DivergenceDetector(window: 30)
        let loss = profile("train/loss")
        var early: [Anomaly] = []
        for step in 0..<120 {
            early += [detector.observe(1.0, profile: loss, step: Int64(step), factor: 3)].compactMap { $0 }
        }
        #expect(early.isEmpty)
        let single = detector.observe(5, profile: loss, step: 120, factor: 3)
        #expect(single == nil)  // one value is a spike, not divergence
        var found: Anomaly?
        for step in 121..<160 where found == nil {
            found = detector.observe(5, profile: loss, step: Int64(step), factor: 3)
        }
        #expect(found?.type == .divergence && found?.severity == .critical)
    }

    @Test func noisyMinibatchLossesDoNotDivergeButASlowRiseDoes() {
        var detector = DivergenceDetector(window: 30)
        let loss = profile("train/loss")
        var generator = SplitMix(state: 7)
        var clean: [Anomaly] = []
        // Per-step noise around a falling level, its raw minimum several times below it.
        for step in 0..<3_000 {
            let level = 0.1 + 0.5 * Double(3_000 - step) / 3_000
            clean += [
                detector.observe(Self.minibatchLoss(level, &generator), profile: loss, step: Int64(step), factor: 3)
            ].compactMap { $0 }
        }
        #expect(clean.isEmpty)
        // The level then doubles over 200 steps: flagged within them.
        var rising: Anomaly?
        for step in 3_000..<3_200 where rising == nil {
            let level = 0.1 * (1 + Double(step - 3_000) / 200)
            rising = detector.observe(
                Self.minibatchLoss(level, &generator), profile: loss, step: Int64(step), factor: 3)
        }
        #expect(rising?.type == .divergence)
    }

    @Test func aBatchThatDropsAloneIsNamedWithItsSamples() {
        var detector = ProblematicBatchDetector()
        let recall = { (_: String) in MetricProfile(name: "val/recall", configuration: MonitorConfiguration()) }
        for step in [100, 200] as [Int64] {
            var found: [Anomaly] = []
            for batch in 0..<16 as Range<Int64> {
                let bad = step == 200 && batch >= 12
                found += detector.observe(
                    batch: batch, step: step, metrics: [MetricValue("val/recall", bad ? 0.6 : 0.9)],
                    samples: ["img\(batch).jpg"], profile: recall, threshold: 0.05)
            }
            found += detector.finishStep(profile: recall, threshold: 0.05)
            #expect(found.map(\.batch) == (step == 200 ? [12, 13, 14, 15] : []))
            if step == 200 { #expect(found[0].samples == ["img12.jpg"] && found[0].type == .problematicBatch) }
        }
    }

    @Test func conditionsAreReportedOnceUntilTheyWorsenOrEnd() {
        var tracker = ConditionTracker()
        func drop(_ magnitude: Double, _ severity: AnomalySeverity) -> Anomaly {
            Anomaly(
                type: .suddenDrop, metric: "m", step: 0, value: 0, baseline: 0, magnitude: magnitude,
                severity: severity, message: "")
        }
        var reported: [Bool] = []
        reported.append(tracker.shouldReport(drop(0.1, .warning)))
        reported.append(tracker.shouldReport(drop(0.12, .warning)))
        reported.append(tracker.shouldReport(drop(0.2, .warning)))  // half again as bad
        reported.append(tracker.shouldReport(drop(0.2, .critical)))
        tracker.clear(.suddenDrop)
        reported.append(tracker.shouldReport(drop(0.1, .warning)))
        #expect(reported == [true, false, true, true, true])
    }
}

@Suite struct AnomalyTypeIndexTests {
    @Test func indicesArePositionsInAllCases() {
        #expect(AnomalyType.allCases.map(\.index) == Array(AnomalyType.allCases.indices))
    }
}
