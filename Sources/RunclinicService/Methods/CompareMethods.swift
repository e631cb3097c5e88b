import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension RunclinicService {
    var compareMethods: [MethodHandler] {
        let comparator = RunComparator(store: store, monitorDefaults: monitor.defaults)
        let hyperparameters = HyperparameterAnalyzer(store: store)
        return [
            MethodHandler("compare.hyperparameters", execution: .concurrent) { params, _ in
                let direction = try params.optionalDirection()
                let minimum = try params.optionalInt("min_runs") ?? 5
                guard minimum >= 3 else {
                    throw ResponseError.invalidParams(field: "min_runs", "must be at least 3, got \(minimum)")
                }
                return try hyperparameters.analyze(
                    project: try params.string("project"), metric: try params.string("metric"),
                    direction: direction, minimumRuns: Int(minimum)
                ).json
            },
            MethodHandler("compare.runs", execution: .concurrent) { params, _ in
                let references = try params.runReferences(project: try params.optionalString("project"))
                let direction = try params.optionalDirection()
                let formats = try Self.reportFormats(params)
                let comparison = try comparator.compare(
                    runs: references, metric: try params.optionalString("metric"), direction: direction)
                var reply = comparison.json.objectValue ?? JSONObject()
                var reports = JSONObject()
                if let directory = try params.optionalString("output_dir") {
                    for (format, path) in try ComparisonReportWriter(directory: directory).write(
                        comparison, formats: formats)
                    {
                        reports[format.rawValue] = .string(path)
                    }
                }
                reply["reports"] = .object(reports)
                return .object(reply)
            },
        ]
    }
}
