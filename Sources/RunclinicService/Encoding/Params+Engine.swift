import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension Params {
    /// `run` is a run id (integer) or a run name; `project` narrows a name down.
    func runReference(_ field: String = "run") throws(ResponseError) -> RunReference {
        let value = try required(field)
        switch value {
        case .int(let id): return .id(id)
        case .string(let name):
            try Self.refuseUnstorable(name, field: field)
            return .name(name, project: try optionalString("project"))
        default:
            if let id = value.intValue { return .id(id) }
            throw Self.mismatch(field, expected: "a run id (integer) or a run name (string)", got: value)
        }
    }

    /// `{name: number}`; NaN and ±Infinity are numbers here (they are what the monitor looks for).
    /// An array of runs, each by id or by name (narrowed by `project`).
    func runReferences(_ field: String = "runs", project: String?) throws(ResponseError) -> [RunReference] {
        let value = try required(field)
        guard let elements = value.arrayValue else {
            throw Params.mismatch(field, expected: "an array of run ids or names", got: value)
        }
        var references: [RunReference] = []
        for (index, element) in elements.enumerated() {
            if let id = element.intValue {
                references.append(.id(id))
            } else if let name = element.stringValue {
                references.append(.name(name, project: project))
            } else {
                throw Params.mismatch(
                    "\(field)[\(index)]", expected: "a run id (integer) or a run name (string)", got: element)
            }
        }
        return references
    }

    func metrics(_ field: String = "metrics") throws(ResponseError) -> [MetricValue] {
        let value = try required(field)
        guard let object = value.objectValue else {
            throw Self.mismatch(field, expected: "an object of metric names to numbers", got: value)
        }
        return try Self.metricValues(object, field: field)
    }

    func optionalMetrics(_ field: String = "metrics") throws(ResponseError) -> [MetricValue]? {
        guard contains(field) else { return nil }
        return try metrics(field)
    }

    static func metricValues(_ object: JSONObject, field: String) throws(ResponseError) -> [MetricValue] {
        var metrics: [MetricValue] = []
        metrics.reserveCapacity(object.count)
        for (name, value) in object {
            guard let number = value.numberValue else {
                throw mismatch("\(field).\(name)", expected: "a number", got: value)
            }
            guard !name.isEmpty else {
                throw ResponseError.invalidParams(field: field, "metric names must not be empty")
            }
            // Checked before the field's name is spelled out: this runs for every metric logged.
            if name.utf8.contains(where: { $0 == 0 || $0 == 0xEF }) {
                try refuseUnstorable(name, field: "\(field).\(name.replacingOccurrences(of: "\u{0}", with: "\\u0000"))")
            }
            metrics.append(MetricValue(name, number))
        }
        return metrics
    }

    func runStatus(_ field: String) throws(ResponseError) -> RunStatus? {
        try optionalChoice(field, of: RunStatus.self)
    }

    /// A required choice: missing, or not a string, is refused as `string` refuses it.
    func choice<Choice: RawRepresentable & CaseIterable>(_ field: String, of type: Choice.Type) throws(ResponseError)
        -> Choice
    where Choice.RawValue == String {
        _ = try string(field)
        return try optionalChoice(field, of: type)!
    }

    /// One of a set of named values (a format, a model, a status), when given; an unknown name
    /// is refused with the names there are.
    func optionalChoice<Choice: RawRepresentable & CaseIterable>(_ field: String, of _: Choice.Type)
        throws(ResponseError) -> Choice?
    where Choice.RawValue == String {
        guard let text = try optionalString(field) else { return nil }
        guard let choice = Choice(rawValue: text) else {
            throw ResponseError.invalidParams(
                field: field,
                "expected one of \(Choice.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(text)\"")
        }
        return choice
    }

    func optionalLimit(_ field: String) throws(ResponseError) -> Int? {
        guard let limit = try optionalInt(field) else { return nil }
        guard limit >= 0 else {
            throw ResponseError.invalidParams(field: field, "expected a non-negative integer, got \(limit)")
        }
        return Int(limit)
    }

    /// `mode`: "max" or "min" (which way a metric is better), when given.
    func optionalDirection(_ field: String = "mode") throws(ResponseError) -> MetricDirection? {
        guard let text = try optionalString(field) else { return nil }
        guard let direction = MetricDirection(rawValue: text) else {
            throw ResponseError.invalidParams(field: field, "expected \"max\" or \"min\", got \"\(text)\"")
        }
        return direction
    }
}
