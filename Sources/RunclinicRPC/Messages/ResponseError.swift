import RunclinicJSON
import RunclinicText

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

    // The protocol errors carry the specification's exact messages; the details go in `data.reason`.

    public static func parseError(_ reason: String, offset: Int? = nil) -> ResponseError {
        var data: JSONObject = ["reason": .string(reason)]
        if let offset { data["offset"] = .int(Int64(offset)) }
        return ResponseError(.parseError, "Parse error", data: .object(data))
    }

    public static func invalidRequest(_ reason: String, data: JSONObject = [:]) -> ResponseError {
        var details = data
        details["reason"] = .string(reason)
        return ResponseError(.invalidRequest, "Invalid Request", data: .object(details))
    }

    /// `known`: the methods there are; the nearest to a mistyped name is suggested in the message
    /// ("did you mean ...") and in `data.suggestion`.
    public static func methodNotFound(_ method: String, known: [String] = []) -> ResponseError {
        guard let suggestion = ClosestName.closest(to: method, among: known) else {
            return ResponseError(.methodNotFound, "Method not found", data: ["method": .string(method)])
        }
        return ResponseError(
            .methodNotFound, "Method not found: \(method) (did you mean \(suggestion)?)",
            data: ["method": .string(method), "suggestion": .string(suggestion)])
    }

    /// An invalid-params error that names the offending field, in its message and its data.
    public static func invalidParams(field: String, _ reason: String, data: JSONObject = JSONObject()) -> ResponseError
    {
        var details = data
        details["field"] = .string(field)
        return ResponseError(.invalidParams, "invalid params: \(field): \(reason)", data: .object(details))
    }
}
