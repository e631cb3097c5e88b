import RunclinicJSON

/// One JSON-RPC 2.0 message from a client, validated. `id` is kept exactly as sent (string,
/// integer, or any number) so it can be echoed back.
public enum IncomingMessage: Sendable {
    case request(id: JSONValue, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    /// A response to a request of ours; this server sends none, so it is ignored.
    case response(id: JSONValue)

    /// Validates one element (the whole message or one batch entry). A failure carries the id
    /// when one could be read, so the error can still be answered to it.
    public static func validate(_ value: JSONValue) -> Result<IncomingMessage, InvalidMessage> {
        guard let object = value.objectValue else {
            return .failure(
                InvalidMessage(
                    id: .null, error: ResponseError.invalidRequest("expected an object, got \(value.typeName)")))
        }
        var id: JSONValue? = nil
        if let rawID = object["id"] {
            switch rawID {
            case .string, .int, .double, .literal, .null: id = rawID
            default:
                return .failure(
                    InvalidMessage(
                        id: .null,
                        error: ResponseError.invalidRequest(
                            "id must be a string, a number or null, got \(rawID.typeName)")))
            }
        }
        let answerID = id ?? .null
        guard object["jsonrpc"] == .string("2.0") else {
            return .failure(
                InvalidMessage(id: answerID, error: ResponseError.invalidRequest("jsonrpc must be \"2.0\"")))
        }
        guard let methodValue = object["method"] else {
            if object["result"] != nil || object["error"] != nil { return .success(.response(id: answerID)) }
            return .failure(InvalidMessage(id: answerID, error: ResponseError.invalidRequest("method is missing")))
        }
        guard let method = methodValue.stringValue else {
            return .failure(
                InvalidMessage(
                    id: answerID,
                    error: ResponseError.invalidRequest("method must be a string, got \(methodValue.typeName)")))
        }
        // `"params": null` is not JSON-RPC 2.0, but LSP clients send it for shutdown and exit:
        // read it as no params.
        let params: JSONValue? = object["params"]?.isNull == true ? nil : object["params"]
        if let params {
            switch params {
            case .object, .array: break
            default:
                return .failure(
                    InvalidMessage(
                        id: answerID,
                        error: ResponseError.invalidRequest(
                            "params must be an object or an array, got \(params.typeName)")))
            }
        }
        if let id { return .success(.request(id: id, method: method, params: params)) }
        return .success(.notification(method: method, params: params))
    }
}

/// A message that is not a valid request, with the id to answer to (null when unknown).
public struct InvalidMessage: Error, Sendable {
    public let id: JSONValue
    public let error: ResponseError
}
