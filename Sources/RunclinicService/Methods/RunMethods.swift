import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension RunclinicService {
    var runMethods: [MethodHandler] {
        let store = self.store
        let monitor = self.monitor
        let analyzer = runAnalyzer
        return [
            MethodHandler("run.start") { params, _ in
                let (start, warnings) = try monitor.startRun(
                    project: try params.optionalString("project"), name: try params.string("name"),
                    config: try params.optionalObject("config").map(JSONValue.object),
                    tags: try params.optionalStringArray("tags") ?? [])
                return [
                    "run_id": .int(start.run.id), "name": .string(start.run.name),
                    "project": .string(start.run.project),
                    "resumed": .bool(start.resumed), "last_step": JSONValue(start.lastStep),
                    "warnings": JSONValue(warnings),
                ]
            },
            MethodHandler("run.finish") { params, _ in
                let reference = try params.runReference()
                // Without a status the run's own end decides: a run that ended in NaN, or that the
                // monitor stopped, did not finish.
                var ending: (status: RunStatus, reason: String?) = (.finished, nil)
                if let said = try params.runStatus("status") {
                    ending.status = said
                } else {
                    ending = try RunEnding.judge(run: reference, store: store, defaults: analyzer.monitorDefaults)
                }
                let run = try store.finishRun(reference, status: ending.status)
                var reply = run.json.objectValue ?? JSONObject()
                if let reason = ending.reason { reply["status_reason"] = .string(reason) }
                // `reporting.auto_generate_reports`: the reports are written now. The run is
                // finished either way; a report that fails is said in the reply.
                guard let reporting = AutomaticReports(config: run.config, runName: run.name, store: store.location)
                else { return .object(reply) }
                do {
                    let written = try reporting.write(run: .id(run.id), analyzer: analyzer)
                    reply["reports"] = .object(JSONObject(written.map { ($0.key.rawValue, .string($0.value)) }))
                } catch {
                    reply["report_error"] = .string("\(error)")
                }
                return .object(reply)
            },
            MethodHandler("run.list") { params, _ in
                let runs = try store.listRuns(
                    project: try params.optionalString("project"),
                    status: try params.runStatus("status"), limit: try params.optionalLimit("limit"))
                return ["runs": .array(runs.map(\.json))]
            },
            MethodHandler("run.update_config") { params, _ in
                guard let values = try params.optionalObject("config") else {
                    throw ResponseError.invalidParams(field: "config", "is required")
                }
                let update = try monitor.updateConfig(run: try params.runReference(), values: values)
                return ["config": update.config, "warnings": JSONValue(update.warnings)]
            },
            MethodHandler("run.get") { params, _ in
                let details = try store.runDetails(try params.runReference())
                guard case .object(var object) = details.run.json else { return .null }
                object["metric_keys"] = JSONValue(details.metricKeys)
                object["last_step"] = JSONValue(details.lastStep)
                object["counts"] = [
                    "points": .int(Int64(details.pointCount)), "batches": .int(Int64(details.batchCount)),
                    "checkpoints": .int(Int64(details.checkpointCount)),
                ]
                object["best_checkpoint"] = details.bestCheckpoint?.json ?? .null
                return .object(object)
            },
            // Concurrent: a large run takes a while to read, and the client may cancel it.
            MethodHandler("run.metrics", execution: .concurrent) { params, context in
                let progress = context.beginProgress(params, title: "Reading metrics")
                defer { progress?.end() }
                let series = try store.metrics(
                    run: try params.runReference(), keys: try params.optionalStringArray("keys"),
                    sinceStep: try params.optionalInt("since_step"), untilStep: try params.optionalInt("until_step"),
                    attempts: try params.optionalChoice("attempts", of: RunStore.Attempts.self) ?? .lineage,
                    isCancelled: { context.cancellation.isCancelled })
                guard let limit = try params.optionalInt("max_points") else {
                    return ["series": .object(JSONObject(series.map { ($0.name, $0.series.json) }))]
                }
                guard limit >= 2 else { throw ResponseError.invalidParams(field: "max_points", "must be at least 2") }
                // A chart's worth of points; how many the series holds is said beside them.
                return [
                    "series": .object(
                        JSONObject(
                            series.map { entry in
                                var object =
                                    entry.series.decimated(toAtMost: Int(clamping: limit)).json.objectValue ?? [:]
                                object["total"] = .int(Int64(entry.series.steps.count))
                                return (entry.name, .object(object))
                            }))
                ]
            },
            MethodHandler("run.batches") { params, _ in
                let records = try store.batches(
                    run: try params.runReference(), step: try params.optionalInt("step"),
                    batch: try params.optionalInt("batch"))
                return ["batches": .array(records.map(\.json))]
            },
            MethodHandler("run.anomalies") { params, _ in
                var minimum = AnomalySeverity.info
                if let text = try params.optionalString("min_severity") {
                    guard let severity = AnomalySeverity(rawValue: text) else {
                        throw ResponseError.invalidParams(
                            field: "min_severity", "expected info, warning, high or critical, got \"\(text)\"")
                    }
                    minimum = severity
                }
                return [
                    "anomalies": .array(try store.anomalies(run: try params.runReference(), minimumSeverity: minimum))
                ]
            },
            MethodHandler("run.actions") { params, _ in
                return ["actions": .array(try store.actions(run: try params.runReference()))]
            },
            MethodHandler("run.checkpoints") { params, _ in
                let result = try store.checkpoints(run: try params.runReference())
                return [
                    "checkpoints": .array(result.checkpoints.map(\.json)), "best": result.best?.json ?? .null,
                    "primary_metric": JSONValue(result.primaryMetric),
                ]
            },
        ]
    }
}
