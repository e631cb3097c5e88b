import Logging

/// Makes runs logged by other tools runclinic runs: finds them under a path, reads each with its
/// format's reader and stores it (re-imports update in place), so analyze and compare work on them.
public struct RunImporter: Sendable {
    /// One run stored, or one source that could not be read (the others are still imported).
    public struct Outcome: Sendable {
        public let imported: ImportedRunSummary?
        public let failure: ImportSourceError?
    }

    public struct ImportedRunSummary: Sendable {
        public let run: RunRecord
        public let format: ImportFormat
        public let source: String
        public let created: Bool
        public let points: Int
        public let metrics: [String]
        public let partial: String?
    }

    let store: RunStore
    /// The monitor's settings for runs whose config has none: the detectors judge each imported
    /// history as they would have live, so anomaly counts and `run.anomalies` work on imports too.
    let monitorDefaults: MonitorConfiguration
    private let logger = Logger(label: "runclinic.import")

    public init(store: RunStore, monitorDefaults: MonitorConfiguration = MonitorConfiguration()) {
        self.store = store
        self.monitorDefaults = monitorDefaults
    }

    /// `name` renames the run when the path holds exactly one. `progress(done, total, source)` is
    /// called after each source. A source that cannot be read is reported in the outcomes; when
    /// nothing could be imported at all, its error is thrown.
    public func importRuns(
        path: String, format: ImportFormat = .auto, project: String? = nil, name: String? = nil,
        progress: (Int, Int, String) -> Void = { _, _, _ in },
        isCancelled: () -> Bool = { false }
    ) throws -> [Outcome] {
        let sources = try ImportSourceFinder(path: path, format: format).find()
        if name != nil, sources.count > 1 {
            throw EngineError.invalidArgument(
                field: "name", reason: "\(path) holds \(sources.count) runs; name renames a single run")
        }
        let defaults = monitorDefaults
        // Two cores: with many sources one thread parses and judges the next run while this one
        // stores the current; a single source is judged on the other thread while it is stored.
        let judgesAhead = sources.count > 1
        let readAhead = ReadAhead(count: sources.count) { index in
            Result {
                try sources[index].read().map { run in
                    (run, judgesAhead ? Self.anomalies(of: run, defaults: defaults) : nil)
                }
            }
        }
        defer { readAhead.cancel() }
        var outcomes: [Outcome] = []
        for (index, source) in sources.enumerated() {
            if isCancelled() { throw EngineError.cancelled }
            do {
                let runs = try readAhead.next(index).get()
                if name != nil, runs.count > 1 {
                    throw EngineError.invalidArgument(
                        field: "name", reason: "\(path) holds \(runs.count) runs; name renames a single run")
                }
                for (run, judged) in runs {
                    let judging =
                        judged == nil ? ReadAhead(count: 1) { _ in Self.anomalies(of: run, defaults: defaults) } : nil
                    let stored = try store.storeImportedRun(run, project: project, name: name)
                    let anomalies = judged ?? judging?.next(0) ?? []
                    if !anomalies.isEmpty {
                        try store.recordVerdict(
                            runID: stored.run.id, step: 0, anomalies: anomalies, action: nil, durability: .acknowledged)
                    }
                    if let partial = run.partial { logger.warning("\(run.sourcePath): \(partial)") }
                    outcomes.append(
                        Outcome(
                            imported: ImportedRunSummary(
                                run: stored.run, format: run.format, source: run.sourcePath, created: stored.created,
                                points: stored.points, metrics: run.metrics.keys, partial: run.partial), failure: nil))
                }
            } catch EngineError.unreadableSource(let failure) {
                logger.error("\(failure)")
                outcomes.append(Outcome(imported: nil, failure: failure))
            }
            progress(index + 1, sources.count, source.location)
        }
        if outcomes.allSatisfy({ $0.imported == nil }), let failure = outcomes.first?.failure {
            throw EngineError.unreadableSource(failure)
        }
        return outcomes
    }

    /// The imported history replayed through a fresh monitor: what its detectors raise is stored
    /// as if the run had been monitored live (no recovery actions: nobody was advised).
    private static func anomalies(of imported: ImportedRun, defaults: MonitorConfiguration) -> [Anomaly] {
        let configuration = (try? MonitorConfiguration.parse(imported.config, base: defaults).configuration) ?? defaults
        let monitor = RunMonitor(runID: 0, runName: imported.name, configuration: configuration)
        return RunHistory(series: imported.metrics.seriesByKey(), batches: []).replay(into: monitor)
    }
}
