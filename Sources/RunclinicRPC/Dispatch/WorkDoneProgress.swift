import RunclinicJSON

/// LSP work-done progress for one request: `$/progress` notifications with `begin`, `report` and
/// `end` values under the client's token.
public struct WorkDoneProgress: Sendable {
    public let token: JSONValue
    let connection: ConnectionHandle

    public func report(message: String? = nil, percentage: Int? = nil) {
        var value: JSONObject = ["kind": "report"]
        if let message { value["message"] = .string(message) }
        if let percentage { value["percentage"] = .int(Int64(min(100, max(0, percentage)))) }
        send(value)
    }

    public func end(message: String? = nil) {
        var value: JSONObject = ["kind": "end"]
        if let message { value["message"] = .string(message) }
        send(value)
    }

    func send(_ value: JSONObject) {
        connection.send(
            OutgoingMessage.notification(method: "$/progress", params: ["token": token, "value": .object(value)]))
    }
}
