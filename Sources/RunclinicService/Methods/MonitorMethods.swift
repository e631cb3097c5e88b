import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension RunclinicService {
    /// The reply to a logging call: what the monitor saw and what the trainer should do.
    static let quietReply: JSONValue = ["anomalies": [], "action": nil]

    /// Sends a verdict where it must go (subscribers, webhooks, and for a fire-and-forget call
    /// the caller itself) and returns the reply.
    func announce(_ verdict: TrainingMonitor.Verdict, context: RequestContext) -> JSONValue {
        if context.isNotification { fireAndForgetSenders.note(run: verdict.runID, connection: context.connection) }
        guard !verdict.anomalies.isEmpty || verdict.action != nil else { return Self.quietReply }
        let alert = AlertHub.alert(for: verdict)
        if context.isNotification { context.notifyClient(alert) }
        alerts.publish(alert, runID: verdict.runID, except: context.connection)
        SharedAlerts.share(
            alert, runID: verdict.runID, store: store, durability: context.isNotification ? .deferred : .acknowledged)
        notifier.publish(verdict)
        return ["anomalies": .array(verdict.anomalies.map(\.json)), "action": verdict.action?.json ?? .null]
    }

    var monitorMethods: [MethodHandler] {
        let store = self.store
        let monitor = self.monitor
        let alerts = self.alerts
        return [
            // As a request it answers once the points are committed; as a notification it is
            // committed within the store's commit window, and what it raises comes back as a
            // monitor.alert notification.
            MethodHandler("monitor.log") { params, context in
                let verdict = try monitor.log(
                    run: try params.runReference(), step: try params.int("step"), metrics: try params.metrics(),
                    time: try params.optionalDouble("time"),
                    durability: context.isNotification ? .deferred : .acknowledged)
                return announce(verdict, context: context)
            },
            MethodHandler("monitor.batch") { params, context in
                let verdict = try monitor.batch(
                    run: try params.runReference(), step: try params.int("step"), batch: try params.int("batch"),
                    phase: try params.optionalString("phase") ?? "val", metrics: try params.metrics(),
                    samples: try params.optionalStringArray("samples") ?? [], time: try params.optionalDouble("time"),
                    durability: context.isNotification ? .deferred : .acknowledged)
                return announce(verdict, context: context)
            },
            MethodHandler("monitor.configure") { params, _ in
                guard let config = try params.optionalObject("config") else {
                    throw ResponseError.invalidParams(field: "config", "is required")
                }
                let (configuration, warnings) = try monitor.configure(
                    run: try params.runReference(), config: .object(config))
                return ["config": configuration.json, "warnings": JSONValue(warnings)]
            },
            MethodHandler("monitor.subscribe") { params, context in
                var runID: Int64?
                if params.contains("run") { runID = try store.run(try params.runReference()).id }
                alerts.subscribe(context.connection, runID: runID)
                SharedAlerts.receive(into: alerts, from: store)
                return ["subscribed": true, "run_id": JSONValue(runID)]
            },
            MethodHandler("monitor.unsubscribe") { params, context in
                var runID: Int64?
                if params.contains("run") { runID = try store.run(try params.runReference()).id }
                return ["removed": .int(Int64(alerts.unsubscribe(context.connection, runID: runID)))]
            },
            MethodHandler("monitor.checkpoint") { params, _ in
                let outcome = try store.registerCheckpoint(
                    run: try params.runReference(), step: try params.int("step"), path: try params.string("path"),
                    metrics: try params.optionalMetrics())
                return [
                    "checkpoint": outcome.checkpoint.json, "best": outcome.best?.json ?? .null,
                    "primary_metric": JSONValue(outcome.primaryMetric), "mode": JSONValue(outcome.direction?.rawValue),
                ]
            },
        ]
    }
}
