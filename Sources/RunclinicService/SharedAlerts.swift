import Logging
import RunclinicEngine
import RunclinicJSON

/// A server's alerts, shared with the other servers of a PostgreSQL store (trainers on other
/// machines), and theirs handed to this server's subscribers as `monitor.alert` notifications.
enum SharedAlerts {
    private static let logger = Logger(label: "runclinic.alerts")

    /// Sends one verdict's alert to the other servers; a failure is logged, never the caller's.
    static func share(_ alert: JSONValue, runID: Int64, store: RunStore, durability: Durability) {
        guard store.sharesAlerts else { return }
        var payload = JSONWriter.string(["run_id": .int(runID), "alert": alert])
        if payload.utf8.count > RunStore.sharedAlertLimit {
            // Many anomalies at once: the first few go, and the subscriber reads the rest.
            var shortened = alert
            if case .array(let anomalies)? = alert["params"]?["anomalies"], var params = alert["params"]?.objectValue,
                var message = alert.objectValue
            {
                params["anomalies"] = .array(Array(anomalies.prefix(3)))
                params["truncated"] = true
                message["params"] = .object(params)
                shortened = .object(message)
            }
            payload = JSONWriter.string(["run_id": .int(runID), "alert": shortened])
        }
        do {
            try store.shareAlert(payload, durability: durability)
        } catch {
            logger.warning("cannot share the alert of run \(runID) with other servers: \(error)")
        }
    }

    /// From the first subscriber on, other servers' alerts reach this server's subscribers.
    static func receive(into hub: AlertHub, from store: RunStore) {
        store.onSharedAlert { payload in
            guard let message = try? JSONParser.parse(payload), let runID = message["run_id"]?.intValue,
                let alert = message["alert"]
            else {
                logger.warning("ignored a shared alert that is not one: \(payload.prefix(200))")
                return
            }
            hub.publish(alert, runID: runID, except: nil)
        }
    }
}
