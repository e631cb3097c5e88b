import Foundation
import RunclinicJSON

/// Which hyperparameters go with a project's outcomes (the handbook's HyperparameterAnalyzer):
/// numeric parameters by correlation with the best value and with the drop from it, categorical
/// ones by group means, effect size (eta²) and the share of runs with anomalies per value.
public struct HyperparameterImpact: Sendable {
    public struct Numeric: Sendable {
        public let key: String
        public let runs: Int
        public let pearson: (r: Double, p: Double)?
        public let spearman: (r: Double, p: Double)?
        public let spearmanWithDrop: (r: Double, p: Double)?
        public let pearsonWithDrop: (r: Double, p: Double)?
    }

    public struct Categorical: Sendable {
        public struct Level: Sendable {
            public let value: String
            public let runs: Int
            public let meanBest: Double
            public let anomalyRate: Double
        }
        public let key: String
        public let runs: Int
        public let levels: [Level]
        /// Share of the best values' variance between the levels.
        public let etaSquared: Double
        /// Mixed JSON types in this key's values: compared as text.
        public let mixedTypes: Bool
    }

    public let project: String
    public let metric: String
    public let direction: MetricDirection
    public let runs: Int
    public let numeric: [Numeric]
    public let categorical: [Categorical]
    /// Keys left out, and why (one value across the runs; missing in all but a few).
    public let excluded: [(key: String, reason: String)]
    /// Said instead of numbers when there are too few runs.
    public let message: String?
    /// Each parameter's share of the outcome's variance as a main effect (functional ANOVA over a
    /// random-forest surrogate, see ImportanceRanking), largest first, and the share left to
    /// interactions.
    public var importance: [(key: String, share: Double)] = []
    public var interactionShare: Double? = nil
}

/// Computes a project's hyperparameter impact from its stored runs.
public struct HyperparameterAnalyzer: Sendable {
    public let store: RunStore

    public init(store: RunStore) { self.store = store }

    public func analyze(project: String, metric: String, direction: MetricDirection? = nil, minimumRuns: Int = 5) throws
        -> HyperparameterImpact
    {
        guard let mode = direction ?? MetricDirection.infer(from: metric) else {
            throw EngineError.invalidArgument(
                field: "mode", reason: "cannot tell whether higher or lower '\(metric)' is better: give mode max or min"
            )
        }
        let records = try store.listRuns(project: project)
        guard !records.isEmpty else {
            throw EngineError.invalidArgument(field: "project", reason: "no runs in project '\(project)'")
        }
        var rows: [(config: [String: JSONValue], best: Double, drop: Double, anomalous: Bool)] = []
        for record in records {
            let keys = try store.runDetails(.id(record.id)).metricKeys
            guard keys.contains(metric),
                let series = try store.metrics(run: .id(record.id), keys: [metric]).first?.series
            else { continue }
            let outcome = RunOutcome.measure(run: record, series: series, direction: mode, anomalies: [:])
            guard let best = outcome.best else { continue }
            let anomalies = try store.anomalies(run: .id(record.id), minimumSeverity: .high)
            rows.append((ConfigDifference.flatten(record.config), best, outcome.dropFromBest ?? 0, !anomalies.isEmpty))
        }
        guard rows.count >= max(3, minimumRuns) else {
            return HyperparameterImpact(
                project: project, metric: metric, direction: mode, runs: rows.count, numeric: [], categorical: [],
                excluded: [],
                message:
                    "\(rows.count) run\(rows.count == 1 ? "" : "s") of project '\(project)' logged \(metric); at least \(max(3, minimumRuns)) are needed to say which hyperparameters matter"
            )
        }
        var numeric: [HyperparameterImpact.Numeric] = []
        var categorical: [HyperparameterImpact.Categorical] = []
        var excluded: [(String, String)] = []
        let keys = Set(rows.flatMap(\.config.keys)).sorted()
        for key in keys {
            if RunComparator.isSeed(key) {
                excluded.append((key, "a random seed: it varies between repeats of a setting, not a hyperparameter"))
                continue
            }
            let present = rows.filter { $0.config[key] != nil }
            let texts = present.map { JSONWriter.string($0.config[key]!) }
            if present.count < 3 {
                excluded.append((key, "set in only \(present.count) runs"))
                continue
            }
            if Set(texts).count < 2 {
                excluded.append((key, "the same value (\(texts[0])) in every run that sets it"))
                continue
            }
            let numbers = present.compactMap { $0.config[key]?.doubleValue }
            if numbers.count == present.count, Set(numbers).count >= 3 {
                let best = present.map(\.best)
                let drop = present.map(\.drop)
                numeric.append(
                    .init(
                        key: key, runs: present.count, pearson: Correlation.pearson(numbers, best),
                        spearman: Correlation.spearman(numbers, best),
                        spearmanWithDrop: Correlation.spearman(numbers, drop),
                        pearsonWithDrop: Correlation.pearson(numbers, drop)))
            } else {
                let types = Set(present.map { $0.config[key]!.typeName })
                var byValue: [String: [(best: Double, anomalous: Bool)]] = [:]
                for (row, text) in zip(present, texts) { byValue[text, default: []].append((row.best, row.anomalous)) }
                let all = present.map(\.best)
                let mean = all.reduce(0, +) / Double(all.count)
                let total = all.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
                let between = byValue.values.reduce(0.0) { sum, group in
                    let groupMean = group.map(\.best).reduce(0, +) / Double(group.count)
                    return sum + Double(group.count) * (groupMean - mean) * (groupMean - mean)
                }
                let levels = byValue.map { value, group in
                    HyperparameterImpact.Categorical.Level(
                        value: value, runs: group.count, meanBest: group.map(\.best).reduce(0, +) / Double(group.count),
                        anomalyRate: Double(group.filter(\.anomalous).count) / Double(group.count))
                }.sorted { mode.isBetter($0.meanBest, than: $1.meanBest) }
                categorical.append(
                    .init(
                        key: key, runs: present.count, levels: levels, etaSquared: total > 0 ? between / total : 0,
                        mixedTypes: types.count > 1 && !types.isSubset(of: ["integer", "number"])))
            }
        }
        numeric.sort { abs($0.spearman?.r ?? 0) > abs($1.spearman?.r ?? 0) }
        categorical.sort { $0.etaSquared > $1.etaSquared }
        var impact = HyperparameterImpact(
            project: project, metric: metric, direction: mode, runs: rows.count, numeric: numeric,
            categorical: categorical, excluded: excluded, message: nil)
        // The ranking: every analysed parameter encoded as a number (numeric as is, categories
        // by index, unset below every value), the runs' best values as the outcome.
        let analysed = numeric.map(\.key) + categorical.map(\.key)
        var encoded = [[Double]](repeating: [], count: rows.count)
        for key in analysed {
            let texts = rows.map { $0.config[key].map(JSONWriter.string) }
            let isNumeric = numeric.contains { $0.key == key }
            let categories = Array(Set(texts.compactMap { $0 })).sorted()
            let numbers = rows.map { $0.config[key]?.doubleValue }
            let floor = (numbers.compactMap { $0 }.min() ?? 0) - 1
            for index in rows.indices {
                if isNumeric {
                    encoded[index].append(numbers[index] ?? floor)
                } else {
                    encoded[index].append(texts[index].flatMap { categories.firstIndex(of: $0) }.map(Double.init) ?? -1)
                }
            }
        }
        if !analysed.isEmpty, let ranking = ImportanceRanking.rank(rows: encoded, targets: rows.map(\.best)) {
            impact.importance = ranking.importances.map { (analysed[$0.index], $0.share) }
            impact.interactionShare = ranking.interactionShare
        }
        return impact
    }
}

extension HyperparameterImpact {
    public var json: JSONValue {
        let pair = { (value: (r: Double, p: Double)?) -> JSONValue in
            value.map { ["r": .double($0.r), "p": .double($0.p)] } ?? .null
        }
        var object: JSONObject = [
            "project": .string(project), "metric": .string(metric), "mode": .string(direction.rawValue),
            "runs": .int(Int64(runs)),
            "numeric": .array(
                numeric.map { entry in
                    [
                        "key": .string(entry.key), "runs": .int(Int64(entry.runs)), "pearson": pair(entry.pearson),
                        "spearman": pair(entry.spearman),
                        "spearman_with_drop": pair(entry.spearmanWithDrop),
                        "pearson_with_drop": pair(entry.pearsonWithDrop),
                    ]
                }),
            "categorical": .array(
                categorical.map { entry in
                    [
                        "key": .string(entry.key), "runs": .int(Int64(entry.runs)),
                        "eta_squared": .double(entry.etaSquared),
                        "mixed_types": .bool(entry.mixedTypes),
                        "levels": .array(
                            entry.levels.map { level in
                                [
                                    "value": .string(level.value), "runs": .int(Int64(level.runs)),
                                    "mean_best": .double(level.meanBest),
                                    "anomaly_rate": .double(level.anomalyRate),
                                ]
                            }),
                    ]
                }),
            "excluded": .array(excluded.map { ["key": .string($0.key), "reason": .string($0.reason)] }),
            "importance": .array(importance.map { ["key": .string($0.key), "share": .double($0.share)] }),
            "interaction_share": JSONValue(interactionShare),
        ]
        if let message { object["message"] = .string(message) }
        return .object(object)
    }
}
