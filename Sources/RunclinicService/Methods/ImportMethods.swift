import Foundation
import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension RunclinicService {
    var importMethods: [MethodHandler] {
        let importer = RunImporter(store: store, monitorDefaults: monitor.defaults)
        let exporter = RunExporter(store: store)
        return [
            MethodHandler("import.run", execution: .concurrent) { params, context in
                let path = try params.string("path")
                let format = try params.optionalChoice("format", of: ImportFormat.self) ?? .auto
                let progress = context.beginProgress(params, title: "Importing runs")
                defer { progress?.end() }
                let outcomes = try importer.importRuns(
                    path: path, format: format, project: try params.optionalString("project"),
                    name: try params.optionalString("name"),
                    progress: { done, total, source in
                        progress?.report(message: "\(done)/\(total) \(source)", percentage: done * 100 / max(total, 1))
                    },
                    isCancelled: { context.cancellation.isCancelled })
                return [
                    "runs": .array(outcomes.compactMap(\.imported).map(\.json)),
                    "errors": .array(outcomes.compactMap(\.failure).map(\.json)),
                ]
            },
            MethodHandler("export.run") { params, _ in
                let format = try params.choice("format", of: RunExporter.Format.self)
                let table = try exporter.table(try params.runReference(), format: format)
                var reply: JSONObject = ["rows": .int(Int64(table.rows)), "points": .int(Int64(table.points))]
                if let path = try params.optionalString("path") {
                    reply["path"] = .string(path)
                    reply["config_path"] = JSONValue(try exporter.write(table, to: path))
                } else {
                    reply["text"] = .string(table.text)
                }
                return .object(reply)
            },
        ]
    }
}

extension RunImporter.ImportedRunSummary {
    var json: JSONValue {
        [
            "run_id": .int(run.id), "name": .string(run.name), "project": .string(run.project),
            "status": .string(run.status.rawValue),
            "format": .string(format.rawValue), "source": .string(source), "created": .bool(created),
            "points": .int(Int64(points)),
            "metrics": JSONValue(metrics), "partial": JSONValue(partial),
        ]
    }
}

extension ImportSourceError {
    var json: JSONValue {
        ["file": .string(file), "offset": offset.map { .int(Int64($0)) } ?? .null, "reason": .string(reason)]
    }
}
