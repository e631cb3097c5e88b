import Logging
import RunclinicJSON

/// The real-time monitor: stores each logged step, runs the detectors on it, and answers with
/// what is wrong and what the trainer should do. Thread-safe; knows nothing of JSON-RPC.
public final class TrainingMonitor: Sendable {
    public let store: RunStore
    /// Defaults for every run: built-in values overlaid with `serve --config FILE`.
    public let defaults: MonitorConfiguration
    private let runs = Locked(RunMonitors())
    private let logger = Logger(label: "runclinic.monitor")

    public init(store: RunStore, defaults: MonitorConfiguration = MonitorConfiguration()) {
        self.store = store
        self.defaults = defaults
    }

    /// What one logging call produced.
    public struct Verdict: Sendable {
        public let runID: Int64
        public let runName: String
        public let anomalies: [Anomaly]
        public let action: RecoveryAction?
        /// The run's settings, for where its alerts go (nil when nothing was found).
        public let configuration: MonitorConfiguration?
    }

    /// Starts or resumes a run after checking its `experiment_monitoring` section; returns the
    /// configuration's warnings (unknown keys).
    public func startRun(project: String?, name: String, config: JSONValue?, tags: [String]) throws -> (
        start: RunStart, warnings: [String]
    ) {
        // Refuse a bad configuration before anything is written.
        let warnings = try MonitorConfiguration.parse(config, base: defaults).warnings
        let start = try store.startRun(project: project, name: name, config: config, tags: tags)
        if start.resumed {
            // A resumed run keeps its detector state; its stored settings (replaced when given) apply.
            let configuration =
                (try? MonitorConfiguration.parse(start.run.config, base: defaults).configuration) ?? defaults
            runs.withLock { monitors in monitors.byRun[start.run.id]?.reconfigure(configuration) }
        }
        for warning in warnings { logger.warning("run \(name): \(warning)") }
        return (start, warnings)
    }

    /// Changes a run's monitoring rules mid-run: `config` holds an `experiment_monitoring` section
    /// whose keys replace the run's current ones.
    public func configure(run reference: RunReference, config: JSONValue) throws -> (
        configuration: MonitorConfiguration, warnings: [String]
    ) {
        let section = config["experiment_monitoring"] ?? .object(JSONObject())
        let update = try updateConfig(run: reference, values: ["experiment_monitoring": section])
        return (update.monitoring, update.warnings)
    }

    /// Merges `values` into the run's config (wandb's `config.update`, Lightning's
    /// `log_hyperparams`): each key given replaces the stored one, a null removes it. An
    /// `experiment_monitoring` mapping is merged key by key and applied to the live monitor, as
    /// `configure` does; it is checked before anything is written.
    public func updateConfig(run reference: RunReference, values: JSONObject) throws -> (
        config: JSONValue, monitoring: MonitorConfiguration, warnings: [String]
    ) {
        let record = try store.run(reference)
        let (current, _) = try MonitorConfiguration.parse(record.config, base: defaults)
        var stored = record.config?.objectValue ?? JSONObject()
        var monitoring = current
        var warnings: [String] = []
        for (key, value) in values {
            guard key == "experiment_monitoring" else {
                stored[key] = value == .null ? JSONValue?.none : value
                continue
            }
            guard value != .null else {
                stored[key] = JSONValue?.none
                monitoring = try MonitorConfiguration.parse(nil, base: defaults).configuration
                continue
            }
            (monitoring, warnings) = try MonitorConfiguration.parse(["experiment_monitoring": value], base: current)
            var section = stored["experiment_monitoring"]?.objectValue ?? JSONObject()
            section.merge(value.objectValue ?? JSONObject())
            stored["experiment_monitoring"] = .object(section)
        }
        try store.updateConfig(runID: record.id, config: .object(stored))
        if values["experiment_monitoring"] != nil {
            runs.withLock { monitors in monitors.byRun[record.id]?.reconfigure(monitoring) }
        }
        return (.object(stored), monitoring, warnings)
    }

    public func log(
        run reference: RunReference, step: Int64, metrics: [MetricValue], time: Double? = nil,
        durability: Durability
    ) throws -> Verdict {
        let runID = try prepareMonitor(for: reference)
        try store.logMetrics(run: .id(runID), step: step, metrics: metrics, time: time, durability: durability)
        return try judge(runID: runID, step: step, durability: durability, completesStep: true) { monitor in
            monitor.observe(step: step, values: metrics)
        }
    }

    public func batch(
        run reference: RunReference, step: Int64, batch: Int64, phase: String, metrics: [MetricValue],
        samples: [String], time: Double? = nil, durability: Durability
    ) throws -> Verdict {
        let runID = try prepareMonitor(for: reference)
        try store.logBatch(
            run: .id(runID), step: step, batch: batch, phase: phase, metrics: metrics,
            samples: samples, time: time, durability: durability)
        return try judge(runID: runID, step: step, durability: durability, completesStep: false) { monitor in
            monitor.observeBatch(step: step, batch: batch, values: metrics, samples: samples)
        }
    }

    /// The run's id, with its monitor ready: rebuilt from the store before this call's data is
    /// written, so the replay does not see (and silence) the very values about to be judged.
    private func prepareMonitor(for reference: RunReference) throws -> Int64 {
        let known = runs.withLock { monitors -> Int64? in
            if case .id(let id) = reference, monitors.byRun[id] != nil { return id }
            return monitors.ids[reference]
        }
        if let known { return known }
        let runID = try store.run(reference).id
        try runs.withLock { monitors in
            if monitors.byRun[runID] == nil { _ = try rebuild(runID: runID, into: &monitors.byRun) }
            monitors.ids[reference] = runID
        }
        return runID
    }

    /// `completesStep`: the call logs the step's own metrics (its validation batches are all in).
    private func judge(
        runID: Int64, step: Int64, durability: Durability, completesStep: Bool,
        observe: (RunMonitor) -> [Anomaly]
    ) throws -> Verdict {
        let (runName, anomalies, action, configuration) = try runs.withLock {
            monitors -> (String, [Anomaly], RecoveryAction?, MonitorConfiguration?) in
            guard var monitor = monitors.byRun[runID] else { return ("", [], nil, nil) }
            if monitor.pendingRewind != nil, monitor.isRewind(to: step) {
                monitor = try startAttempt(runID: runID, at: step, abandoning: monitor, in: &monitors.byRun)
            }
            var anomalies = observe(monitor)
            // Batches that fell earlier in this step are advised on once the step is complete,
            // even when the step's aggregate raised nothing of its own.
            let waiting = completesStep ? monitor.incidents.awaitingDataAdvice(at: step) : nil
            guard !anomalies.isEmpty || waiting != nil else { return (monitor.runName, [], nil, nil) }
            let incident =
                anomalies.isEmpty ? waiting : monitor.incidents.assign(&anomalies, step: step, gap: monitor.incidentGap)
            // One action per incident, and none for an attempt a rollback already abandoned.
            guard let incident, !incident.advised, monitor.pendingRewind == nil else {
                return (monitor.runName, anomalies, nil, monitor.configuration)
            }
            var recovery = monitor.recovery
            let action = RecoveryPolicy.decide(
                anomalies, step: step, primaryMetric: monitor.primaryMetric,
                configuration: monitor.configuration, state: &recovery, incident: incident,
                completesStep: completesStep
            ) {
                (try? self.store.checkpoints(run: .id(runID)))?.best
            }
            monitor.recovery = recovery
            if let action {
                monitor.incidents.markAdvised()
                if action.kind == .rollback, let checkpoint = action.checkpoint {
                    monitor.pendingRewind = checkpoint.step
                }
            }
            return (monitor.runName, anomalies, action, monitor.configuration)
        }
        // Data advice can come with a step's aggregate that raised nothing itself: kept all the same.
        if !anomalies.isEmpty || action != nil {
            try store.recordVerdict(
                runID: runID, step: step, anomalies: anomalies, action: action, durability: durability)
        }
        return Verdict(
            runID: runID, runName: runName, anomalies: anomalies, action: action, configuration: configuration)
    }

    /// The trainer stepped back after a rollback: the detectors start again from the run's
    /// lineage up to the step it resumed at, so the new attempt is judged against its own past
    /// (not the abandoned attempt's best or its last values).
    private func startAttempt(
        runID: Int64, at step: Int64, abandoning abandoned: RunMonitor,
        in monitors: inout [Int64: RunMonitor]
    ) throws -> RunMonitor {
        let monitor = RunMonitor(runID: runID, runName: abandoned.runName, configuration: abandoned.configuration)
        let history = try RunHistory(store: store, runID: runID, before: step)
        history.replay(into: monitor)
        monitor.inherit(from: abandoned)
        monitors[runID] = monitor
        return monitor
    }

    /// The monitor of a run this process has not seen yet: its configuration, and its detector
    /// state replayed from the stored history (silently), so a restart raises no old alerts.
    private func rebuild(runID: Int64, into monitors: inout [Int64: RunMonitor]) throws -> RunMonitor {
        let record = try store.run(.id(runID))
        let configuration = (try? MonitorConfiguration.parse(record.config, base: defaults).configuration) ?? defaults
        let monitor = RunMonitor(runID: runID, runName: record.name, configuration: configuration)
        let history = try RunHistory(store: store, runID: runID)
        history.replay(into: monitor)
        monitor.recovery.rollbacks = try store.rollbackCount(runID: runID)
        monitor.incidents = LiveIncidents(nextID: try store.lastIncident(runID: runID) + 1)
        // A rollback advised before the restart still waits for the trainer to step back.
        monitor.pendingRewind = try store.pendingRewind(runID: runID)
        monitors[runID] = monitor
        return monitor
    }
}

/// The runs' monitors, behind the monitor's lock.
final class RunMonitors {
    var byRun: [Int64: RunMonitor] = [:]
    /// How callers named runs (id or name), resolved once.
    var ids: [RunReference: Int64] = [:]
}
