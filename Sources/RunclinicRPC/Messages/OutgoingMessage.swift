import RunclinicJSON

/// Builds the messages the server sends.
public enum OutgoingMessage {
    public static func result(id: JSONValue, _ result: JSONValue) -> JSONValue {
        .object(JSONObject([("jsonrpc", "2.0"), ("id", id), ("result", result)]))
    }

    public static func error(id: JSONValue, _ error: ResponseError) -> JSONValue {
        .object(JSONObject([("jsonrpc", "2.0"), ("id", id), ("error", error.json)]))
    }

    public static func notification(method: String, params: JSONValue) -> JSONValue {
        .object(JSONObject([("jsonrpc", "2.0"), ("method", .string(method)), ("params", params)]))
    }
}
