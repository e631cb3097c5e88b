import Foundation
import RunclinicJSON
import Testing

@testable import RunclinicEngine

@Suite struct RunStoreTests {
    @Test func startResumeAndFinish() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let first = try store.startRun(project: "p", name: "a", config: ["lr": 0.1], tags: ["x"])
        #expect(!first.resumed && first.run.project == "p" && first.run.status == .running)
        try store.logMetrics(
            run: .id(first.run.id), step: 3, metrics: [MetricValue("loss", 1)], durability: .acknowledged)
        try store.finishRun(.name("a", project: nil), status: .failed)
        #expect(throws: EngineError.runNotRunning(run: "a", status: .failed)) {
            try store.logMetrics(
                run: .name("a", project: nil), step: 4, metrics: [MetricValue("loss", 1)], durability: .acknowledged)
        }
        let again = try store.startRun(project: "p", name: "a", config: nil, tags: ["y"])
        #expect(again.resumed && again.run.id == first.run.id && again.lastStep == 3)
        #expect(again.run.tags == ["x", "y"] && again.run.config == ["lr": 0.1])
    }

    @Test func refusedCallsWriteNothing() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let run = try store.startRun(project: nil, name: "r", config: nil, tags: []).run.id
        try store.logMetrics(run: .id(run), step: 10, metrics: [MetricValue("b", 1)], durability: .acknowledged)
        #expect(throws: EngineError.stepWentBackwards(run: "r", metric: "b", step: 9, lastStep: 10)) {
            try store.logMetrics(
                run: .id(run), step: 9, metrics: [MetricValue("a", 1), MetricValue("b", 2)], durability: .acknowledged)
        }
        #expect(try store.runDetails(.id(run)).pointCount == 1)
        #expect(try store.runDetails(.id(run)).metricKeys == ["b"])
        #expect(throws: EngineError.unknownRun("nope")) { try store.runDetails(.name("nope", project: nil)) }
    }

    /// Logging the same metrics step after step takes a shortcut past the per-key bookkeeping:
    /// a step that goes back, for any of them, is still refused, even after a call that named
    /// fewer of them.
    @Test func aRepeatedSetOfMetricsStillRefusesStepsThatGoBack() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let run = try store.startRun(project: nil, name: "same", config: nil, tags: []).run.id
        let both = { (step: Int64) in [MetricValue("a", Double(step)), MetricValue("b", 1)] }
        for step: Int64 in 0...5 {
            try store.logMetrics(run: .id(run), step: step, metrics: both(step), durability: .deferred)
        }
        try store.logMetrics(run: .id(run), step: 5, metrics: both(5), durability: .deferred)  // same step: kept last
        try store.logMetrics(run: .id(run), step: 7, metrics: [MetricValue("a", 7)], durability: .deferred)
        #expect(throws: EngineError.stepWentBackwards(run: "same", metric: "a", step: 6, lastStep: 7)) {
            try store.logMetrics(run: .id(run), step: 6, metrics: both(6), durability: .deferred)
        }
        for step: Int64 in 8...9 {
            try store.logMetrics(run: .id(run), step: step, metrics: both(step), durability: .deferred)
        }
        #expect(throws: EngineError.stepWentBackwards(run: "same", metric: "b", step: 8, lastStep: 9)) {
            try store.logMetrics(run: .id(run), step: 8, metrics: [MetricValue("b", 1)], durability: .deferred)
        }
        // Held points are written before any read: the count includes every point not yet committed.
        #expect(try store.runDetails(.id(run)).pointCount == 2 * 6 + 1 + 2 * 2)
        let series = try #require(try store.metrics(run: .id(run)).first { $0.name == "a" }?.series)
        #expect(series.steps == [0, 1, 2, 3, 4, 5, 7, 8, 9] && series.values == [0, 1, 2, 3, 4, 5, 7, 8, 9])
    }

    @Test func nonFiniteValuesSurviveTheStore() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let run = try store.startRun(project: nil, name: "n", config: nil, tags: []).run.id
        let values: [Double] = [.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude]
        for (step, value) in values.enumerated() {
            try store.logMetrics(
                run: .id(run), step: Int64(step), metrics: [MetricValue("x", value)], time: 1, durability: .acknowledged
            )
        }
        let series = try #require(try store.metrics(run: .id(run)).first?.series)
        #expect(series.values[0].isNaN)
        // SQLite stores a REAL with an integral value as an integer, so -0.0 reads back as 0.0.
        let expected: [Double] = [.infinity, -.infinity, 0.0, .leastNonzeroMagnitude]
        #expect(Array(series.values.dropFirst()).map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test func deferredWritesAreCommittedWithinTheWindow() throws {
        let temporary = try TemporaryStore(commitWindow: 0.05)
        let store = temporary.store
        let run = try store.startRun(project: nil, name: "d", config: nil, tags: []).run.id
        for step in 0..<100 {
            try store.logMetrics(
                run: .id(run), step: Int64(step), metrics: [MetricValue("loss", 1), MetricValue("acc", 0)],
                durability: .deferred)
        }
        #expect(try temporary.countCommittedPoints() < 200)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(try temporary.countCommittedPoints() == 200)
    }

    @Test func acknowledgedWritesAreCommittedAtOnce() throws {
        let temporary = try TemporaryStore(commitWindow: 10)
        let store = temporary.store
        let run = try store.startRun(project: nil, name: "s", config: nil, tags: []).run.id
        try store.logMetrics(run: .id(run), step: 0, metrics: [MetricValue("loss", 1)], durability: .deferred)
        try store.logMetrics(run: .id(run), step: 1, metrics: [MetricValue("loss", 1)], durability: .acknowledged)
        #expect(try temporary.countCommittedPoints() == 2)
    }

    @Test func reopeningAppliesNoMigrationTwice() throws {
        let temporary = try TemporaryStore()
        _ = try temporary.store.startRun(project: nil, name: "m", config: nil, tags: [])
        let second = try RunStore(location: temporary.path)
        defer { second.close() }
        #expect(try second.listRuns().map(\.name) == ["m"])
        let connection = try SQLiteConnection(path: temporary.path)
        #expect(try Migrator.appliedVersions(connection) == Set(Migration.all.map(\.version)))
    }

    @Test func checkpointsRankByTheInferredDirection() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let run = try store.startRun(project: nil, name: "c", config: nil, tags: []).run.id
        for (step, loss) in [(1, 0.9), (2, 0.4), (3, 0.6)] {
            try store.logMetrics(
                run: .id(run), step: Int64(step),
                metrics: [MetricValue("train/acc", 0.1), MetricValue("val/loss", loss)], durability: .acknowledged)
            _ = try store.registerCheckpoint(run: .id(run), step: Int64(step), path: "c\(step)", metrics: nil)
        }
        let result = try store.checkpoints(run: .id(run))
        #expect(result.primaryMetric == "val/loss")
        #expect(result.best?.path == "c2" && result.best?.score == 0.4)
    }

    @Test(arguments: [
        ("val/loss", MetricDirection.min), ("train_loss", .min), ("val/cer", .min), ("eval.wer", .min),
        ("val/hmean", .max), ("val_acc", .max), ("top1", .max), ("val/recall", .max),
    ])
    func directionIsReadFromTheName(_ name: String, _ direction: MetricDirection) {
        #expect(MetricDirection.infer(from: name) == direction)
    }

    @Test func unknownNamesHaveNoDirection() {
        #expect(MetricDirection.infer(from: "lossless_ratio") == nil)
        #expect(MetricDirection.infer(from: "lr") == nil)
    }
}
