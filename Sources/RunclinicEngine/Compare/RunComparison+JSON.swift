import RunclinicJSON

extension RunComparison {
    public var json: JSONValue {
        [
            "metric": .string(metric), "mode": .string(direction.rawValue),
            "runs": .array(outcomes.map(\.json)),
            "config_diff": .array(
                differences.map { difference in
                    var values = JSONObject()
                    for (outcome, value) in zip(outcomes, difference.values) {
                        values[outcome.run.name] = value ?? .null
                    }
                    var object: JSONObject = ["key": .string(difference.key), "values": .object(values)]
                    if difference.typeChanged { object["type_changed"] = .bool(true) }
                    if difference.values.contains(where: { $0 == nil }) { object["missing_in_some"] = .bool(true) }
                    return .object(object)
                }),
            "groups": .array(
                groups.map { group in
                    var object: JSONObject = [
                        "runs": JSONValue(group.runs), "mean": .double(group.mean),
                        "deviation": .double(group.deviation),
                        "settings": .object(JSONObject(group.settings.map { ($0.key, .string($0.value)) })),
                    ]
                    if let interval = group.interval {
                        object["interval_95"] = [.double(interval.low), .double(interval.high)]
                    }
                    return .object(object)
                }),
            "best": groups.first.map { group -> JSONValue in
                [
                    "runs": JSONValue(group.runs), "mean": .double(group.mean),
                    "significant": significance.map { .bool($0.isSignificant) } ?? .null,
                ]
            } ?? .null,
            "significance": significance.map { test -> JSONValue in
                [
                    "test": "welch", "t": .double(test.t), "degrees_of_freedom": .double(test.degrees),
                    "p": .double(test.p),
                ]
            } ?? .null,
            "key_differences": .array(keyDifferences.map { ["key": .string($0.key), "share": .double($0.share)] }),
            "recommendations": JSONValue(recommendations),
        ]
    }
}

extension RunOutcome {
    public var json: JSONValue {
        var anomalyCounts = JSONObject()
        for severity in AnomalySeverity.allCases {
            anomalyCounts[severity.rawValue] = .int(Int64(anomalies[severity] ?? 0))
        }
        return [
            "run": .string(run.name), "run_id": .int(run.id), "points": .int(Int64(points)),
            "best": JSONValue(best), "best_step": JSONValue(bestStep), "final": JSONValue(final),
            "drop_from_best": JSONValue(dropFromBest),
            "auc": JSONValue(areaUnderCurve), "steps_to_95_percent_of_best": JSONValue(stepsToNearBest),
            "wall_seconds": JSONValue(wallSeconds), "volatility": JSONValue(volatility),
            "anomalies": .object(anomalyCounts),
        ]
    }
}
