import RunclinicJSON

/// The `error` member of a JSON-RPC response: errors are data, thrown by handlers and sent back.
public struct ResponseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: ErrorCode
    public let message: String
    public let data: JSONValue?

    public init(_ code: ErrorCode, _ message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(message) (\(code.rawValue))" }

    public var json: JSONValue {
        var object = JSONObject()
        object["code"] = .int(Int64(code.rawValue))
        object["message"] = .string(message)
        if let data { object["data"] = data }
        return .object(object)
    }

    /// An invalid-params error that names the offending field, in its message and its data.
    public static func invalidParams(field: String, _ reason: String, data: JSONObject = JSONObject()) -> ResponseError {
        var details = data
        details["field"] = .string(field)
        return ResponseError(.invalidParams, "invalid params: \(field): \(reason)", data: .object(details))
    }
}
