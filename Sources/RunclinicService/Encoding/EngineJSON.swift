import RunclinicEngine
import RunclinicJSON

/// The JSON shapes of engine values, as documented in schema/openrpc.json (components).
extension RunRecord {
    var json: JSONValue {
        var object: JSONObject = [
            "run_id": .int(id), "name": .string(name), "project": .string(project), "status": .string(status.rawValue),
            "config": config ?? .object([:]), "tags": JSONValue(tags), "started_at": .double(startedAt),
            "ended_at": JSONValue(endedAt),
        ]
        if let summary { object["summary"] = summary }
        return .object(object)
    }
}

extension Array where Element == MetricValue {
    var jsonObject: JSONValue {
        .object(JSONObject(map { ($0.name, .double($0.value)) }))
    }
}

extension BatchRecord {
    var json: JSONValue {
        [
            "step": .int(step), "batch": .int(batch), "phase": .string(phase), "metrics": metrics.jsonObject,
            "samples": JSONValue(samples), "time": .double(time),
        ]
    }
}

extension MetricSeries {
    var json: JSONValue {
        [
            "steps": .array(steps.map { .int($0) }),
            "values": .array(values.map { .double($0) }),
            "times": .array(times.map { .double($0) }),
        ]
    }
}
