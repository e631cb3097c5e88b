/// A JSON-RPC error code. The protocol's own codes are here; applications add theirs in
/// -32000...-32099 as further static members.
public struct ErrorCode: RawRepresentable, Hashable, Sendable {
    public let rawValue: Int

    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let parseError = ErrorCode(rawValue: -32700)
    public static let invalidRequest = ErrorCode(rawValue: -32600)
    public static let methodNotFound = ErrorCode(rawValue: -32601)
    public static let invalidParams = ErrorCode(rawValue: -32602)
    public static let internalError = ErrorCode(rawValue: -32603)
    /// The server cannot take the client now (too many connections).
    public static let serverError = ErrorCode(rawValue: -32000)
    /// LSP's code for a request the client cancelled with `$/cancelRequest`.
    public static let requestCancelled = ErrorCode(rawValue: -32800)
}
