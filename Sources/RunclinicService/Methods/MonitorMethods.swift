import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension RunclinicService {
    /// The reply to a logging call: what the monitor saw and what the trainer should do.
    static let quietReply: JSONValue = ["anomalies": [], "action": nil]

    var monitorMethods: [MethodHandler] {
        let store = self.store
        return [
            // As a request it answers once the points are committed; as a notification it is
            // committed within the store's commit window.
            MethodHandler("monitor.log", positionalParams: ["run", "step", "metrics", "time"]) { params, context in
                try params.rejectUnknown(allowed: ["run", "project", "step", "metrics", "time"], method: "monitor.log")
                try store.logMetrics(
                    run: try params.runReference(), step: try params.int("step"), metrics: try params.metrics(),
                    time: try params.optionalDouble("time"), durability: context.isNotification ? .deferred : .acknowledged)
                return Self.quietReply
            },
            MethodHandler("monitor.batch", positionalParams: ["run", "step", "batch", "metrics", "samples", "phase", "time"]) { params, context in
                try params.rejectUnknown(allowed: ["run", "project", "step", "batch", "phase", "metrics", "samples", "time"], method: "monitor.batch")
                try store.logBatch(
                    run: try params.runReference(), step: try params.int("step"), batch: try params.int("batch"),
                    phase: try params.optionalString("phase") ?? "val", metrics: try params.metrics(),
                    samples: try params.optionalStringArray("samples") ?? [], time: try params.optionalDouble("time"),
                    durability: context.isNotification ? .deferred : .acknowledged)
                return Self.quietReply
            },
            MethodHandler("monitor.checkpoint", positionalParams: ["run", "step", "path", "metrics"]) { params, _ in
                try params.rejectUnknown(allowed: ["run", "project", "step", "path", "metrics"], method: "monitor.checkpoint")
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
