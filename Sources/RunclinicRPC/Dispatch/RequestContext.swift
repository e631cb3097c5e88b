import RunclinicJSON

/// What a handler knows about the call it serves: whether an answer is expected, how to reach the
/// client (progress and other notifications), and whether the client cancelled.
public struct RequestContext: Sendable {
    /// nil for a notification (fire and forget).
    public let id: JSONValue?
    public let method: String
    public let cancellation: CancellationToken
    public let connection: ConnectionHandle

    public init(
        id: JSONValue?, method: String, cancellation: CancellationToken = CancellationToken(),
        connection: ConnectionHandle
    ) {
        self.id = id
        self.method = method
        self.cancellation = cancellation
        self.connection = connection
    }

    public var isNotification: Bool { id == nil }

    /// Sends a notification to this call's client. A notification's handler runs on the reader's
    /// thread, so the message joins the replies written once the reader is through its input (one
    /// write for the alerts of many fire-and-forget calls); a request's goes out at once.
    public func notifyClient(_ message: JSONValue) {
        if isNotification { connection.enqueue(message) } else { connection.send(message) }
    }

    /// Starts LSP work-done progress when the request carried a `workDoneToken`; nil otherwise.
    public func beginProgress(_ params: Params, title: String) -> WorkDoneProgress? {
        guard let token = params.value("workDoneToken") else { return nil }
        let progress = WorkDoneProgress(token: token, connection: connection)
        progress.send(["kind": "begin", "title": .string(title), "cancellable": true, "percentage": 0])
        return progress
    }
}
