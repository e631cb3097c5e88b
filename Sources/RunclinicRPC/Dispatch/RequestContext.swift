import RunclinicJSON

/// What a handler knows about the call it serves: whether an answer is expected, how to reach the
/// client (progress and other notifications), and whether the client cancelled.
public struct RequestContext: Sendable {
    /// nil for a notification (fire and forget).
    public let id: JSONValue?
    public let method: String
    public let cancellation: CancellationToken
    public let connection: ConnectionHandle

    public var isNotification: Bool { id == nil }

    /// Sends `$/progress` for a request that carried a `workDoneToken` (LSP work-done progress).
    public func reportProgress(token: JSONValue, _ value: JSONObject) {
        connection.send(OutgoingMessage.notification(method: "$/progress", params: ["token": token, "value": .object(value)]))
    }
}
