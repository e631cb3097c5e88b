import RunclinicJSON

/// The JSON shapes of the monitor's records: what the API answers and what the store keeps.
extension Anomaly {
    public var json: JSONValue {
        var object: JSONObject = [
            "type": .string(type.rawValue), "metric": .string(metric), "step": .int(step), "value": .double(value),
            "baseline": JSONValue(baseline), "magnitude": JSONValue(magnitude), "severity": .string(severity.rawValue),
            "message": .string(message),
        ]
        if let batch { object["batch"] = .int(batch) }
        if let samples { object["samples"] = JSONValue(samples) }
        if let incident { object["incident"] = .int(incident) }
        return .object(object)
    }
}

extension Anomaly {
    /// Reads back what `json` wrote (nil for a record of another shape).
    public init?(json: JSONValue) {
        guard let type = json["type"]?.stringValue.flatMap(AnomalyType.init(rawValue:)),
            let severity = json["severity"]?.stringValue.flatMap(AnomalySeverity.init(rawValue:)),
            let step = json["step"]?.intValue
        else { return nil }
        self.init(
            type: type, metric: json["metric"]?.stringValue ?? "", step: step,
            value: json["value"]?.doubleValue ?? .nan,
            baseline: json["baseline"]?.doubleValue, magnitude: json["magnitude"]?.doubleValue, severity: severity,
            message: json["message"]?.stringValue ?? "", batch: json["batch"]?.intValue,
            samples: json["samples"]?.arrayValue?.compactMap(\.stringValue))
        incident = json["incident"]?.intValue
    }
}

extension RecoveryAction {
    public var json: JSONValue {
        var object: JSONObject = [
            "kind": .string(kind.rawValue), "reason": .string(reason), "step": .int(step),
            "checkpoint": checkpoint?.json ?? .null, "trigger": .string(trigger.rawValue),
        ]
        if let lrFactor { object["lr_factor"] = .double(lrFactor) }
        if let rollbacks { object["rollbacks"] = .int(Int64(rollbacks)) }
        if let incident { object["incident"] = .int(incident) }
        if let batches { object["batches"] = .array(batches.map { .int($0) }) }
        if let samples { object["samples"] = JSONValue(samples) }
        return .object(object)
    }
}

extension CheckpointRecord {
    public var json: JSONValue {
        [
            "checkpoint_id": .int(id), "step": .int(step), "path": .string(path),
            "metrics": .object(JSONObject(metrics.map { ($0.name, .double($0.value)) })), "score": JSONValue(score),
            "time": .double(time),
        ]
    }
}
