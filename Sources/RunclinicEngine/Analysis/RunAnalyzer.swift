import Foundation

/// Analyses a stored run after (or during) training: replays its history through the monitor's
/// detectors and merges what the live monitor raised, finds change points in every metric, picks
/// the incidents worth explaining and ranks their causes, joining validation batches to image
/// audits (auditing the batches' images on the fly when no audit covered them).
public struct RunAnalyzer: Sendable {
    public let store: RunStore
    public var monitorDefaults: MonitorConfiguration
    public var auditThresholds: ImageQualityThresholds
    public var inspector: any ImageInspector

    public init(
        store: RunStore, monitorDefaults: MonitorConfiguration = MonitorConfiguration(),
        auditThresholds: ImageQualityThresholds = ImageQualityThresholds(),
        inspector: any ImageInspector = InProcessImageInspector()
    ) {
        self.store = store
        self.monitorDefaults = monitorDefaults
        self.auditThresholds = auditThresholds
        self.inspector = inspector
    }

    /// `dataDirectory`: where relative image paths in the batches live (absolute ones are used as
    /// they are); `metrics`: only these (all when nil).
    public func analyze(
        run reference: RunReference, dataDirectory: String? = nil, metrics keys: [String]? = nil,
        progress: @escaping @Sendable (_ message: String, _ percentage: Int) -> Void = { _, _ in },
        isCancelled: @escaping @Sendable () -> Bool = { false }
    ) throws -> RunAnalysis {
        let record = try store.run(reference)
        let configuration =
            (try? MonitorConfiguration.parse(record.config, base: monitorDefaults).configuration) ?? monitorDefaults
        progress("reading the run", 0)
        let stored = try store.metrics(run: .id(record.id), keys: keys, isCancelled: isCancelled)
        var series: [String: MetricSeries] = [:]
        for (name, values) in stored { series[name] = values }
        let batches = try store.batches(run: .id(record.id))
        var batchesByStep: [Int64: [BatchRecord]] = [:]
        for batch in batches { batchesByStep[batch.step, default: []].append(batch) }
        var profiles: [String: MetricProfile] = [:]
        let profile = { (name: String) -> MetricProfile in
            profiles[name] ?? MetricProfile(name: name, configuration: configuration)
        }
        for name in series.keys { profiles[name] = MetricProfile(name: name, configuration: configuration) }
        if isCancelled() { throw EngineError.cancelled }

        progress("finding anomalies", 20)
        // The whole history is replayed; what was read already serves when it is the whole run.
        let history =
            keys == nil ? RunHistory(series: stored, batches: batches) : try RunHistory(store: store, runID: record.id)
        let (anomalies, primary) = try historyAnomalies(record: record, configuration: configuration, history: history)
        let actions = try store.actions(run: .id(record.id)).map { action in
            RecoveryActionRecord(
                step: action["step"]?.intValue ?? 0, kind: action["kind"]?.stringValue ?? "",
                reason: action["reason"]?.stringValue ?? "")
        }
        if isCancelled() { throw EngineError.cancelled }

        progress("finding change points", 40)
        var changePoints = stored.flatMap { name, values in Self.changePoints(of: name, in: values) }
        // Every batch-level series too: a batch's own metric over the steps it was evaluated at.
        var batchSeries: [String: [Int64: MetricSeries]] = [:]
        for record in batches {
            for metric in record.metrics {
                batchSeries[metric.name, default: [:]][record.batch, default: MetricSeries()].steps.append(record.step)
                batchSeries[metric.name]![record.batch]!.values.append(metric.value)
            }
        }
        for (name, byBatch) in batchSeries.sorted(by: { $0.key < $1.key }) {
            for (batch, values) in byBatch.sorted(by: { $0.key < $1.key }) {
                changePoints += Self.changePoints(of: name, in: values).map { point in
                    var located = point
                    located.batch = batch
                    return located
                }
            }
        }
        let primaryMetric = configuration.primaryMetric ?? primary
        let incidents = IncidentFinder.incidents(
            series: series, changePoints: changePoints.filter { $0.batch == nil }, anomalies: anomalies,
            profile: profile,
            dropThreshold: configuration.dropThreshold, primary: primaryMetric, batchesByStep: batchesByStep)
        if isCancelled() { throw EngineError.cancelled }

        progress("joining validation batches to image audits", 60)
        let samples = Array(Set(batches.flatMap(\.samples))).sorted()
        // Without the image library nothing can be said of the images: the analysis goes on
        // without them and says why, rather than calling every image unreadable.
        var verdicts: [String: [ImageIssue]] = [:]
        var auditUnavailable: String? = nil
        do {
            verdicts = try auditVerdicts(
                samples: samples, dataDirectory: dataDirectory, runName: record.name, isCancelled: isCancelled)
        } catch EngineError.imageLibraryUnavailable(let detail) {
            auditUnavailable = EngineError.imageLibraryUnavailable(detail).description
        }

        progress("ranking causes", 90)
        let analyzer = RootCauseAnalyzer(
            series: series, batchesByStep: batchesByStep, anomalies: anomalies, actions: actions,
            profile: profile, dropThreshold: configuration.dropThreshold, verdicts: verdicts,
            modificationTimes: Self.modificationTimes(of: samples, in: dataDirectory),
            thumbnails: { [store] wanted in
                let found =
                    (try? store.imageThumbnails(paths: wanted.map { Self.locate($0, in: dataDirectory) })) ?? [:]
                var bySample: [String: [UInt8]] = [:]
                for sample in wanted { bySample[sample] = found[Self.locate(sample, in: dataDirectory)] }
                return bySample
            })
        let explanations = incidents.map { RunAnalysis.Explanation(incident: $0, hypotheses: analyzer.explain($0)) }
        var defectCounts: [ImageIssue: Int] = [:]
        var suspected: [String] = []
        for sample in samples {
            guard let issues = verdicts[sample]?.filter({ DefectEnrichment.contentIssues.contains($0) }),
                !issues.isEmpty
            else { continue }
            suspected.append(sample)
            for issue in issues { defectCounts[issue, default: 0] += 1 }
        }
        var insights = RunAnalysis.DataInsights(
            totalImages: samples.count, auditedImages: samples.filter { verdicts[$0] != nil }.count,
            suspectedBadImages: suspected,
            defects: ImageIssue.allCases.compactMap { issue in defectCounts[issue].map { (issue, $0) } })
        insights.auditUnavailable = auditUnavailable
        let summaries = stored.map { name, values in Self.summary(name, values, profile: profile(name)) }
        // The images a data cause names first, then the other flagged ones.
        var worst: [String] = explanations.flatMap {
            $0.hypotheses.prefix(1).flatMap { $0.cause == .dataQuality ? ($0.samples ?? []) : [] }
        }
        for path in suspected where !worst.contains(path) { worst.append(path) }
        worst = Array(worst.prefix(12))
        let located = worst.map { Self.locate($0, in: dataDirectory) }
        let thumbnails = try store.imageThumbnails(paths: located)
        let flagged = zip(worst, located).map { sample, path in
            RunAnalysis.FlaggedImage(
                path: sample, file: path, issues: verdicts[sample] ?? [], thumbnail: thumbnails[path])
        }
        let storedCheckpoints = try store.checkpoints(run: .id(record.id))
        var checkpoints = storedCheckpoints.checkpoints
        if let best = storedCheckpoints.best {
            checkpoints.removeAll { $0.id == best.id }
            checkpoints.insert(best, at: 0)
        }
        progress("done", 100)
        var analysis = RunAnalysis(
            run: record, primaryMetric: primaryMetric, series: series, batchesByStep: batchesByStep,
            worstImages: flagged,
            metrics: summaries, anomalies: anomalies,
            changePoints: changePoints, explanations: explanations, dataInsights: insights, actions: actions,
            checkpoints: checkpoints)
        for (name, points) in try store.metrics(run: .id(record.id), keys: keys, attempts: .superseded)
        where !points.steps.isEmpty {
            analysis.superseded[name] = points
        }
        return analysis
    }

    /// The run's history replayed through a fresh monitor with its configuration, merged with the
    /// anomalies stored live (each kept once: same type, metric, step and batch).
    func historyAnomalies(record: RunRecord, configuration: MonitorConfiguration, history: RunHistory) throws -> (
        [Anomaly], String?
    ) {
        let monitor = RunMonitor(runID: record.id, runName: record.name, configuration: configuration)
        var found = history.replay(into: monitor)
        var seen = Set(found.map(Self.key))
        for stored in try store.anomalies(run: .id(record.id)).compactMap(Anomaly.init(json:))
        where seen.insert(Self.key(stored)).inserted {
            found.append(stored)
        }
        found.sort { ($0.step, $0.batch ?? -1) < ($1.step, $1.batch ?? -1) }
        return (found, monitor.primaryMetric)
    }

    static func key(_ anomaly: Anomaly) -> String {
        "\(anomaly.type.rawValue)|\(anomaly.metric)|\(anomaly.step)|\(anomaly.batch ?? -1)"
    }

    /// Points a metric's change-point search works on at most: a longer series is searched as
    /// the means of equal blocks (ChangePointSearch.exactLimit).
    static let searchedPoints = 4_000

    /// Change points of one metric (the default search), with the mean level on either side.
    static func changePoints(of name: String, in values: MetricSeries) -> [RunAnalysis.ChangePoint] {
        guard values.values.count >= 8, values.values.contains(where: \.isFinite) else { return [] }
        let (filled, _) = SeriesGaps.filled(values.values)
        var search = ChangePointSearch()
        search.exactLimit = searchedPoints
        // A training curve's bends and spikes are not changes of regime; a non-finite tail is.
        var tail: Int? = nil
        if let lastFinite = values.values.lastIndex(where: \.isFinite), lastFinite + 1 < values.values.count {
            tail = lastFinite + 1
        }
        let indices = TrainingCurveRegimes.keep(search.run(filled).changePoints, in: filled, nonFiniteTailStart: tail)
        return indices.map { index in
            let before = filled[max(0, index - 5)..<index]
            let after = filled[index..<min(filled.count, index + 5)]
            // The start of a non-finite tail is after: NaN (or the infinity) itself, not the filled level.
            let level = index == tail ? values.values[index] : after.reduce(0, +) / Double(after.count)
            return RunAnalysis.ChangePoint(
                metric: name, step: values.steps[index], before: before.reduce(0, +) / Double(before.count),
                after: level)
        }
    }

    static func summary(_ name: String, _ values: MetricSeries, profile: MetricProfile) -> RunAnalysis.MetricSummary {
        var best: (Double, Int64)? = nil
        for (step, value) in zip(values.steps, values.values) where value.isFinite {
            if let direction = profile.direction, best == nil || direction.isBetter(value, than: best!.0) {
                best = (value, step)
            }
        }
        // The final value is the last one logged, NaN or infinite included: a run that ended in
        // NaN did not end at its last finite value.
        let final = values.values.last.map { ($0, values.steps[values.steps.count - 1]) }
        let drop = best.flatMap { best in
            final.flatMap { $0.0.isFinite ? profile.worsening(from: best.0, to: $0.0) : nil }
        }
        return RunAnalysis.MetricSummary(
            name: name, role: profile.role, direction: profile.direction, points: values.values.count,
            best: best?.0, bestStep: best?.1, final: final?.0, finalStep: final?.1, dropFromBest: drop)
    }

    /// When each sample's file was last modified, by the name logged (files that cannot be found
    /// are left out): a file rewritten during the run is data that changed under the same name.
    static func modificationTimes(of samples: [String], in dataDirectory: String?) -> [String: Double] {
        var times: [String: Double] = [:]
        var status = stat()
        for sample in samples {
            let path = locate(sample, in: dataDirectory)
            guard path.hasPrefix("/"), stat(path, &status) == 0 else { continue }
            times[sample] = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
        }
        return times
    }

    /// Where a logged image name lives: under `dataDirectory` when it is relative.
    static func locate(_ sample: String, in dataDirectory: String?) -> String {
        guard !sample.hasPrefix("/"), let dataDirectory else { return sample }
        return (URL(fileURLWithPath: dataDirectory).standardizedFileURL.path as NSString).appendingPathComponent(sample)
    }

    /// Audit verdicts of the batches' images, by the name logged. Images no audit covered are
    /// audited now when they can be found (under `dataDirectory`, or at an absolute path).
    func auditVerdicts(
        samples: [String], dataDirectory: String?, runName: String,
        isCancelled: @escaping @Sendable () -> Bool
    ) throws -> [String: [ImageIssue]] {
        guard !samples.isEmpty else { return [:] }
        let located = samples.map { Self.locate($0, in: dataDirectory) }
        var verdicts = try store.imageVerdicts(paths: located)
        let missing = located.filter {
            verdicts[$0] == nil && $0.hasPrefix("/") && FileManager.default.fileExists(atPath: $0)
        }
        if !missing.isEmpty {
            let auditor = DatasetAuditor(store: store, thresholds: auditThresholds, inspector: inspector)
            _ = try auditor.run(
                paths: missing, recursive: false, dataset: "analyze \(runName)", isCancelled: isCancelled)
            verdicts = try store.imageVerdicts(paths: located)
        }
        var bySample: [String: [ImageIssue]] = [:]
        for (sample, path) in zip(samples, located) { if let found = verdicts[path] { bySample[sample] = found } }
        return bySample
    }
}
