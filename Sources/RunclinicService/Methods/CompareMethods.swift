import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension RunclinicService {
    var compareMethods: [MethodHandler] {
        let comparator = RunComparator(store: store, monitorDefaults: monitor.defaults)
        return [
            MethodHandler("compare.runs", positionalParams: ["runs", "metric", "mode"], execution: .concurrent) { params, _ in
                try params.rejectUnknown(allowed: ["runs", "metric", "mode", "project"], method: "compare.runs")
                let value = try params.required("runs")
                guard let elements = value.arrayValue else { throw Params.mismatch("runs", expected: "an array of run ids or names", got: value) }
                let project = try params.optionalString("project")
                let references: [RunReference] = try elements.enumerated().map { index, element in
                    if let id = element.intValue { return .id(id) }
                    if let name = element.stringValue { return .name(name, project: project) }
                    throw Params.mismatch("runs[\(index)]", expected: "a run id (integer) or a run name (string)", got: element)
                }
                var direction: MetricDirection? = nil
                if let mode = try params.optionalString("mode") {
                    guard let parsed = MetricDirection(rawValue: mode) else {
                        throw ResponseError.invalidParams(field: "mode", "expected \"max\" or \"min\", got \"\(mode)\"")
                    }
                    direction = parsed
                }
                return try comparator.compare(runs: references, metric: try params.optionalString("metric"), direction: direction).json
            },
        ]
    }
}
