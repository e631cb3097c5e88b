import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import RunclinicEngine
import RunclinicJSON

/// Posts alerts to webhooks off the hot path: a bounded queue, one sender thread, a timeout per
/// request and bounded retries with exponential backoff. Slack-compatible targets get
/// `{"text": ...}`; generic ones the alert as JSON. Failures are logged and stored.
final class WebhookNotifier: @unchecked Sendable {
    struct Delivery {
        let runID: Int64
        let url: URL
        let body: Data
        let payload: String
    }

    private let store: RunStore
    private let condition = NSCondition()
    private var queue: [Delivery] = []
    private var started = false
    private let logger = Logger(label: "runclinic.webhooks")
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
            let text = Self.slackText(verdict)
            let body = JSONWriter.encode(["text": .string(text)])
            deliveries.append(Delivery(runID: verdict.runID, url: url, body: Data(body), payload: String(decoding: body, as: UTF8.self)))
        }
        if let generic = configuration.webhook, let url = URL(string: generic) {
            let body = JSONWriter.encode(alert["params"] ?? alert)
            deliveries.append(Delivery(runID: verdict.runID, url: url, body: Data(body), payload: String(decoding: body, as: UTF8.self)))
        }
        guard !deliveries.isEmpty else { return }
        var dropped: [Delivery] = []
        condition.withLock {
            queue.append(contentsOf: deliveries)
            if queue.count > Self.queueLimit {
                dropped = Array(queue.prefix(queue.count - Self.queueLimit))
                queue.removeFirst(dropped.count)
            }
            if !started {
                started = true
                let thread = Thread { [self] in send() }
                thread.name = "runclinic-webhooks"
                thread.start()
            }
            condition.signal()
        }
        for delivery in dropped { recordFailure(delivery, status: "dropped", attempts: 0, error: "webhook queue full") }
    }

    static func slackText(_ verdict: TrainingMonitor.Verdict) -> String {
        var lines = ["runclinic: run \(verdict.runName)"]
        for anomaly in verdict.anomalies { lines.append("[\(anomaly.severity.rawValue)] \(anomaly.message)") }
        if let action = verdict.action { lines.append("advice: \(action.kind.rawValue): \(action.reason)") }
        return lines.joined(separator: "\n")
    }

    private func send() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let delivery = queue.removeFirst()
            condition.unlock()
            deliver(delivery)
        }
    }

    private func deliver(_ delivery: Delivery) {
        var lastError = ""
        for attempt in 1...Self.attempts {
            if attempt > 1 { Thread.sleep(forTimeInterval: 0.2 * pow(2, Double(attempt - 2))) }
            switch post(delivery) {
            case .success:
                logger.debug("alert for run \(delivery.runID) delivered to \(delivery.url.host ?? "?")")
                return
            case .failure(let error):
                lastError = error.description
                logger.warning("webhook \(delivery.url.absoluteString) attempt \(attempt) failed: \(lastError)")
            }
        }
        recordFailure(delivery, status: "failed", attempts: Self.attempts, error: lastError)
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

    private func post(_ delivery: Delivery) -> Result<Void, PostError> {
        var request = URLRequest(url: delivery.url, timeoutInterval: Self.timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = delivery.body
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

    private func recordFailure(_ delivery: Delivery, status: String, attempts: Int, error: String) {
        do {
            try store.recordDeliveryFailure(runID: delivery.runID, target: delivery.url.absoluteString, status: status,
                                            attempts: attempts, error: error, payload: delivery.payload)
        } catch {
            logger.error("cannot record a webhook failure: \(error)")
        }
    }
}
