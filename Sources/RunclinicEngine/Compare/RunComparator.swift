import Foundation
import RunclinicJSON
import RunclinicText

/// Compares stored runs on one metric (the handbook's ExperimentComparator).
public struct RunComparator: Sendable {
    public let store: RunStore
    public var monitorDefaults: MonitorConfiguration

    public init(store: RunStore, monitorDefaults: MonitorConfiguration = MonitorConfiguration()) {
        self.store = store
        self.monitorDefaults = monitorDefaults
    }

    /// Config keys that name a random seed: runs differing only in these are repeats.
    static func isSeed(_ key: String) -> Bool {
        let last = key.split(separator: ".").last.map { $0.lowercased() } ?? ""
        return last == "seed" || last.hasSuffix("_seed") || last == "random_state"
    }

    /// `metric`: by default the first validation metric with a known direction; `direction`: by
    /// default read from the metric's name.
    public func compare(runs references: [RunReference], metric: String? = nil, direction: MetricDirection? = nil)
        throws -> RunComparison
    {
        guard references.count >= 2 else {
            throw EngineError.invalidArgument(field: "runs", reason: "give at least two runs to compare")
        }
        let records = try references.map { try store.run($0) }
        guard Set(records.map(\.id)).count == records.count else {
            throw EngineError.invalidArgument(field: "runs", reason: "a run is named twice")
        }
        let keys = try records.map { try store.runDetails(.id($0.id)).metricKeys }
        let chosen: String
        if let metric {
            for (record, runKeys) in zip(records, keys) where !runKeys.contains(metric) {
                throw EngineError.invalidArgument(
                    field: "metric",
                    reason: "run '\(record.name)' has no metric '\(metric)'"
                        + (ClosestName.closest(to: metric, among: runKeys).map { ", did you mean \($0)?" } ?? "")
                        + " (it has: \(runKeys.joined(separator: ", ")))")
            }
            chosen = metric
        } else {
            let shared = keys.dropFirst().reduce(Set(keys[0])) { $0.intersection($1) }
            let candidates = keys[0].filter { shared.contains($0) }
            let profiles = candidates.map { MetricProfile(name: $0, configuration: monitorDefaults) }
            guard
                let pick = profiles.first(where: { $0.role == .validation && $0.direction != nil })
                    ?? profiles.first(where: { $0.direction != nil })
            else {
                throw EngineError.invalidArgument(
                    field: "metric", reason: "the runs share no metric with a known direction: give metric and mode")
            }
            chosen = pick.name
        }
        guard let mode = direction ?? MetricDirection.infer(from: chosen) else {
            throw EngineError.invalidArgument(
                field: "mode", reason: "cannot tell whether higher or lower '\(chosen)' is better: give mode max or min"
            )
        }
        var outcomes: [RunOutcome] = []
        var curves: [(name: String, series: MetricSeries)] = []
        for record in records {
            let series = try store.metrics(run: .id(record.id), keys: [chosen]).first?.series
            curves.append((record.name, series ?? MetricSeries()))
            var counts: [AnomalySeverity: Int] = [:]
            for anomaly in try store.anomalies(run: .id(record.id)).compactMap(Anomaly.init(json:)) {
                counts[anomaly.severity, default: 0] += 1
            }
            outcomes.append(RunOutcome.measure(run: record, series: series, direction: mode, anomalies: counts))
        }
        let differences = ConfigDifference.between(records.map(\.config))
        let settingKeys = differences.map(\.key).filter { !Self.isSeed($0) }
        // Groups: the same values on every differing key but the seeds.
        var order: [String] = []
        var members: [String: [Int]] = [:]
        for index in records.indices {
            let signature = settingKeys.map { key in
                differences.first { $0.key == key }!.values[index].map(JSONWriter.string) ?? "-"
            }
            .joined(separator: "\u{1}")
            if members[signature] == nil { order.append(signature) }
            members[signature, default: []].append(index)
        }
        var groups: [(group: RunComparison.Group, values: [Double])] = []
        for signature in order {
            let indices = members[signature]!
            let values = indices.compactMap { outcomes[$0].best }
            guard !values.isEmpty else { continue }
            let (mean, variance) = StudentT.meanAndVariance(values)
            let deviation = variance.squareRoot()
            var interval: (Double, Double)? = nil
            if values.count >= 2 {
                let half =
                    StudentT.quantile(0.975, degrees: Double(values.count - 1)) * deviation
                    / Double(values.count).squareRoot()
                interval = (mean - half, mean + half)
            }
            let settings = settingKeys.map { key in
                (key, differences.first { $0.key == key }!.values[indices[0]].map(JSONWriter.string) ?? "(missing)")
            }
            groups.append(
                (
                    RunComparison.Group(
                        runs: indices.map { records[$0].name }, settings: settings, mean: mean, deviation: deviation,
                        interval: interval), values
                ))
        }
        groups.sort { mode.isBetter($0.group.mean, than: $1.group.mean) }
        var significance: RunComparison.Significance? = nil
        if groups.count >= 2, let test = StudentT.welch(groups[0].values, groups[1].values) {
            significance = RunComparison.Significance(t: test.t, degrees: test.degrees, p: test.p)
        }
        let shares = Self.keyShares(settingKeys: settingKeys, differences: differences, outcomes: outcomes)
        var comparison = RunComparison(
            metric: chosen, direction: mode, outcomes: outcomes, differences: differences,
            groups: groups.map(\.group), significance: significance, keyDifferences: shares, recommendations: [],
            curves: curves)
        comparison.recommendations = Self.recommendations(comparison)
        return comparison
    }

    /// Eta squared of each key: the share of the runs' best values' variance between its values.
    static func keyShares(settingKeys: [String], differences: [ConfigDifference], outcomes: [RunOutcome]) -> [(
        key: String, share: Double
    )] {
        let values = outcomes.compactMap(\.best)
        guard values.count >= 3 else { return [] }
        let mean = values.reduce(0, +) / Double(values.count)
        let total = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        // Runs whose best values differ only by rounding have no spread to share out: no share
        // is said at all (a share of rounding noise could read as 400%).
        let scale = values.reduce(0) { max($0, abs($1)) }
        guard total > Double(values.count) * (1e-9 * max(scale, 1e-300)) * (1e-9 * max(scale, 1e-300)) else {
            return []
        }
        var shares: [(String, Double)] = []
        for key in settingKeys {
            let difference = differences.first { $0.key == key }!
            var byValue: [String: [Double]] = [:]
            for (index, outcome) in outcomes.enumerated() {
                guard let best = outcome.best else { continue }
                byValue[difference.values[index].map(JSONWriter.string) ?? "-", default: []].append(best)
            }
            guard byValue.count >= 2 else { continue }
            let between = byValue.values.reduce(0.0) { sum, group in
                let groupMean = group.reduce(0, +) / Double(group.count)
                return sum + Double(group.count) * (groupMean - mean) * (groupMean - mean)
            }
            shares.append((key, min(1, max(0, between / total))))
        }
        return shares.sorted { $0.1 > $1.1 }
    }

    static func recommendations(_ comparison: RunComparison) -> [String] {
        guard let best = comparison.groups.first else {
            return ["No run has a finite \(comparison.metric): nothing to compare."]
        }
        let metric = comparison.metric
        let describe = { (group: RunComparison.Group) -> String in
            let settings = group.settings.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            let spread =
                group.runs.count > 1
                ? " ± \(IncidentFinder.display(group.deviation)) over \(group.runs.count) runs" : " (one run)"
            return
                "\(settings.isEmpty ? group.runs.joined(separator: ", ") : settings): best \(metric) \(IncidentFinder.display(group.mean))\(spread)"
        }
        guard comparison.groups.count >= 2 else {
            return ["The runs differ only in their seeds: \(describe(best)). Nothing to choose between."]
        }
        let runnerUp = comparison.groups[1]
        var advice: [String] = []
        if let test = comparison.significance {
            if test.isSignificant {
                advice.append(
                    "Prefer \(describe(best)), over \(describe(runnerUp)) (Welch's t-test p = \(test.p.shortDescription))."
                )
            } else {
                advice.append(
                    "\(describe(best)) looks best, but its lead over \(describe(runnerUp)) is not significant (Welch's t-test p = \(test.p.shortDescription)): run more seeds before choosing."
                )
            }
        } else {
            advice.append(
                "\(describe(best)) scored best, ahead of \(describe(runnerUp)); with one run a setting, that may be noise: repeat each with 2-3 seeds to know."
            )
        }
        if let top = comparison.keyDifferences.first, top.share >= 0.5 {
            advice.append(
                "\(top.key) goes with \(Int((100 * top.share).rounded()))% of the spread in best \(metric) between these runs."
            )
        }
        let unstable = comparison.outcomes.filter { ($0.anomalies[.high] ?? 0) + ($0.anomalies[.critical] ?? 0) > 0 }
        if !unstable.isEmpty {
            advice.append(
                "Runs with high or critical anomalies: \(unstable.map(\.run.name).joined(separator: ", ")) — see `runclinic analyze` for why."
            )
        }
        return advice
    }
}
