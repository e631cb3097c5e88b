import Foundation
import Logging
import RunclinicEngine
import RunclinicJSON

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends alerts to webhooks and by email off the hot path, one lane per destination (a hook's URL,
/// an SMTP server) so that a slow one delays only its own alerts: each lane has a bounded queue and
/// a sender thread, with a timeout per attempt and bounded retries with exponential backoff.
/// Slack-compatible targets get `{"text": ...}`; generic ones the alert as JSON; email a message
/// naming the run, metric and severity. Every delivery is stored in `alert_deliveries`: delivered,
/// failed, or dropped (from a full queue, or still waiting when the server stopped).
final class AlertNotifier: @unchecked Sendable {
    struct Delivery: Sendable {
        let runID: Int64
        /// The queue it waits in: a hook's URL, or an SMTP server.
        let lane: String
        /// What `alert_deliveries` records as its destination.
        let target: String
        let payload: String
        let send: @Sendable () -> Result<Void, PostError>
    }

    /// One destination's queue; guarded by the notifier's condition.
    private final class Lane: @unchecked Sendable {
        var queue: [Delivery] = []
        var inFlight: Delivery?
        var isIdle: Bool { queue.isEmpty && inFlight == nil }
    }

    private let store: RunStore
    private let condition = NSCondition()
    private var lanes: [String: Lane] = [:]
    private var stopped = false
    private let logger = Logger(label: "runclinic.alerts")
    static let queueLimit = 1_000
    static let attempts = 3
    static let timeout: TimeInterval = 5

    init(store: RunStore) {
        self.store = store
    }

    /// Queues the alert for the run's configured webhooks, if its severity is high enough.
    func publish(_ verdict: TrainingMonitor.Verdict) {
        guard let configuration = verdict.configuration else { return }
        let worst = verdict.anomalies.map(\.severity).max() ?? .info
        guard worst >= configuration.webhookSeverity || verdict.action != nil else { return }
        var deliveries: [Delivery] = []
        let alert = AlertHub.alert(for: verdict)
        if let slack = configuration.slackWebhook, let url = URL(string: slack) {
            let body = JSONWriter.encode(["text": .string(Self.slackText(verdict))])
            deliveries.append(Self.post(body, to: url, runID: verdict.runID))
        }
        if let generic = configuration.webhook, let url = URL(string: generic) {
            deliveries.append(Self.post(JSONWriter.encode(alert["params"] ?? alert), to: url, runID: verdict.runID))
        }
        if let email = configuration.email {
            let message = AlertEmail(verdict, dashboardURL: email.dashboardURL).message(from: email.from, to: email.to)
            deliveries.append(
                Delivery(
                    runID: verdict.runID, lane: "smtp://\(email.host):\(email.port)",
                    target: "mailto:\(email.to.joined(separator: ",")) via smtp://\(email.host):\(email.port)",
                    payload: message,
                    send: {
                        SMTPClient.send(message, settings: email).mapError { PostError(description: $0.description) }
                    }))
        }
        guard !deliveries.isEmpty else { return }
        var dropped: [(Delivery, String)] = []
        condition.withLock {
            for delivery in deliveries {
                guard !stopped else {
                    dropped.append((delivery, "the server was stopping: not sent"))
                    continue
                }
                let lane = lane(for: delivery.lane)
                lane.queue.append(delivery)
                if lane.queue.count > Self.queueLimit {
                    dropped.append((lane.queue.removeFirst(), "webhook queue full"))
                }
            }
            condition.broadcast()
        }
        for (delivery, reason) in dropped { record(delivery, status: "dropped", attempts: 0, error: reason) }
    }

    static func post(_ body: [UInt8], to url: URL, runID: Int64) -> Delivery {
        let data = Data(body)
        return Delivery(
            runID: runID, lane: url.absoluteString, target: url.absoluteString,
            payload: String(decoding: body, as: UTF8.self), send: { Self.post(data, to: url) })
    }

    /// The destination's lane, started on first use (called with the lock held).
    private func lane(for key: String) -> Lane {
        if let lane = lanes[key] { return lane }
        let lane = Lane()
        lanes[key] = lane
        let thread = Thread { [self] in send(lane) }
        thread.name = "runclinic-alerts"
        thread.start()
        return lane
    }

    /// At exit: the lanes go on sending for up to `grace` seconds; what is still queued or on its
    /// way then is recorded as not delivered.
    func stop(grace: TimeInterval) {
        var undelivered: [(Delivery, String)] = []
        condition.withLock {
            stopped = true
            let deadline = Date(timeIntervalSinceNow: grace)
            while lanes.values.contains(where: { !$0.isIdle }) && condition.wait(until: deadline) {}
            for lane in lanes.values {
                if let delivery = lane.inFlight {
                    undelivered.append((delivery, "being sent when the server stopped: it may not have arrived"))
                    lane.inFlight = nil
                }
                undelivered += lane.queue.map { ($0, "the server stopped before it was sent") }
                lane.queue.removeAll()
            }
            condition.broadcast()
        }
        for (delivery, reason) in undelivered { record(delivery, status: "dropped", attempts: 0, error: reason) }
    }

    static func slackText(_ verdict: TrainingMonitor.Verdict) -> String {
        var lines = ["runclinic: run \(verdict.runName)"]
        for anomaly in verdict.anomalies { lines.append("[\(anomaly.severity.rawValue)] \(anomaly.message)") }
        if let action = verdict.action { lines.append("advice: \(action.kind.rawValue): \(action.reason)") }
        return lines.joined(separator: "\n")
    }

    private func send(_ lane: Lane) {
        while true {
            condition.lock()
            while lane.queue.isEmpty && !stopped { condition.wait() }
            guard !lane.queue.isEmpty else {
                condition.unlock()
                return
            }
            let delivery = lane.queue.removeFirst()
            lane.inFlight = delivery
            condition.unlock()
            let (attempts, failure) = deliver(delivery)
            // stop() takes the delivery in flight (and records it) when its grace runs out.
            let stillMine = condition.withLock {
                defer { condition.broadcast() }
                guard lane.inFlight != nil else { return false }
                lane.inFlight = nil
                return true
            }
            if stillMine {
                record(
                    delivery, status: failure == nil ? "delivered" : "failed", attempts: attempts, error: failure ?? "")
            }
        }
    }

    /// Sends with retries: the attempts made, and nil once delivered, else the last error.
    private func deliver(_ delivery: Delivery) -> (attempts: Int, failure: String?) {
        var lastError = ""
        for attempt in 1...Self.attempts {
            if attempt > 1 { Thread.sleep(forTimeInterval: 0.2 * pow(2, Double(attempt - 2))) }
            switch delivery.send() {
            case .success:
                logger.debug("alert for run \(delivery.runID) delivered to \(delivery.lane)")
                return (attempt, nil)
            case .failure(let error):
                lastError = error.description
                logger.warning("alert to \(delivery.lane), attempt \(attempt), failed: \(lastError)")
            }
        }
        return (Self.attempts, lastError)
    }

    struct PostError: Error, CustomStringConvertible {
        let description: String
    }

    /// The completion handler's result, handed to the waiting sender thread.
    final class OutcomeBox: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Result<Void, PostError>?

        func set(_ result: Result<Void, PostError>) { lock.withLock { value = result } }
        func get() -> Result<Void, PostError>? { lock.withLock { value } }
    }

    private static func post(_ body: Data, to url: URL) -> Result<Void, PostError> {
        var request = URLRequest(url: url, timeoutInterval: Self.timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = body
        let done = DispatchSemaphore(value: 0)
        let outcome = OutcomeBox()
        let task = URLSession.shared.dataTask(with: request) { _, response, error in
            let result: Result<Void, PostError>
            if let error {
                result = .failure(PostError(description: error.localizedDescription))
            } else if let status = (response as? HTTPURLResponse)?.statusCode, !(200..<300).contains(status) {
                result = .failure(PostError(description: "HTTP \(status)"))
            } else {
                result = .success(())
            }
            outcome.set(result)
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + Self.timeout + 1) == .timedOut {
            task.cancel()
            return .failure(PostError(description: "timed out after \(Int(Self.timeout)) s"))
        }
        return outcome.get() ?? .failure(PostError(description: "no response"))
    }

    private func record(_ delivery: Delivery, status: String, attempts: Int, error: String) {
        do {
            try store.recordDelivery(
                runID: delivery.runID, target: delivery.target, status: status,
                attempts: attempts, error: error, payload: delivery.payload)
        } catch {
            logger.error("cannot record an alert delivery: \(error)")
        }
    }
}
