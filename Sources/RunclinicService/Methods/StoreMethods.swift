import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension RunclinicService {
    var storeMethods: [MethodHandler] {
        let store = self.store
        let watcher = self.watcher
        return [
            // What a dashboard follows: it reads the store, so runs logged by other processes count.
            MethodHandler("store.watch") { params, context in
                var runIDs: [Int64] = []
                if params.contains("runs") {
                    let project = try params.optionalString("project")
                    runIDs = try params.runReferences(project: project).map { try store.run($0).id }
                }
                let alerts = try params.optionalBool("alerts") ?? false
                let backlog = try params.optionalInt("alert_backlog") ?? 0
                guard (0...10_000).contains(backlog) else {
                    throw ResponseError.invalidParams(field: "alert_backlog", "must be between 0 and 10000")
                }
                let runList = try params.optionalBool("run_list") ?? false
                let positions = try watcher.watch(
                    context.connection, runs: runIDs, alerts: alerts, alertBacklog: Int(backlog), runList: runList)
                return [
                    "runs": .array(
                        runIDs.map { id in
                            let position = positions[id] ?? .start
                            let empty = position == .start
                            return [
                                "run_id": .int(id), "attempt": empty ? .null : .int(position.attempt),
                                "step": empty ? .null : .int(position.step),
                            ]
                        }),
                    "alerts": .bool(alerts), "run_list": .bool(runList),
                ]
            },
            MethodHandler("store.unwatch") { _, context in
                ["stopped": .bool(watcher.unwatch(context.connection))]
            },
        ]
    }
}
