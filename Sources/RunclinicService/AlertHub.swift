import Foundation
import Logging
import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

/// Pushes `monitor.alert` notifications to the connections that subscribed (an editor watching a
/// trainer's runs). Sending happens on the hub's own thread from a bounded queue, so a slow
/// subscriber never slows `monitor.log` down; past the bound the oldest alerts are dropped.
final class AlertHub: @unchecked Sendable {
    private struct Subscription {
        let connection: ConnectionHandle
        let runID: Int64?
    }

    private let condition = NSCondition()
    private var subscriptions: [Subscription] = []
    private var queue: [(ConnectionHandle, JSONValue)] = []
    private var started = false
    private let logger = Logger(label: "runclinic.alerts")
    static let queueLimit = 10_000

    func subscribe(_ connection: ConnectionHandle, runID: Int64?) {
        condition.withLock {
            subscriptions.removeAll { $0.connection === connection && $0.runID == runID }
            subscriptions.append(Subscription(connection: connection, runID: runID))
            if !started {
                started = true
                let thread = Thread { [self] in deliver() }
                thread.name = "runclinic-alerts"
                thread.start()
            }
        }
    }

    /// Returns how many subscriptions were removed.
    func unsubscribe(_ connection: ConnectionHandle, runID: Int64?) -> Int {
        condition.withLock {
            let before = subscriptions.count
            subscriptions.removeAll { $0.connection === connection && (runID == nil || $0.runID == runID) }
            return before - subscriptions.count
        }
    }

    /// Queues the alert for every subscriber of the run, except `origin` (it has the reply).
    func publish(_ alert: JSONValue, runID: Int64, except origin: ConnectionHandle?) {
        condition.withLock {
            subscriptions.removeAll { $0.connection.isClosed }
            let queued = queue.count
            for subscription in subscriptions
            where subscription.connection !== origin
                && (subscription.runID == nil || subscription.runID == runID)
            {
                queue.append((subscription.connection, alert))
            }
            // Woken for nothing, the delivering thread would take a core from the trainer.
            guard queue.count > queued else { return }
            if queue.count > Self.queueLimit {
                let dropped = queue.count - Self.queueLimit
                queue.removeFirst(dropped)
                logger.warning("alert queue full: dropped the \(dropped) oldest alerts")
            }
            condition.signal()
        }
    }

    private func deliver() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let batch = queue
            queue.removeAll()
            condition.unlock()
            for (connection, alert) in batch { connection.send(alert) }
        }
    }

    /// The `monitor.alert` notification for one logging call's verdict.
    static func alert(for verdict: TrainingMonitor.Verdict) -> JSONValue {
        OutgoingMessage.notification(
            method: "monitor.alert",
            params: [
                "run": ["run_id": .int(verdict.runID), "name": .string(verdict.runName)],
                "anomalies": .array(verdict.anomalies.map(\.json)),
                "action": verdict.action?.json ?? .null,
            ])
    }
}
