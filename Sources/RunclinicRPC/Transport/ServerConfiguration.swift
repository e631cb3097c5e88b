import RunclinicJSON

/// What every connection of a server shares: the methods, how errors become JSON-RPC errors,
/// and the limits.
public struct ServerConfiguration: Sendable {
    public var registry: MethodRegistry
    /// Turns an error a handler threw (other than a ResponseError) into a JSON-RPC error.
    public var translateError: @Sendable (any Error) -> ResponseError
    public var maximumMessageBytes: Int
    /// How long a connection polls for the next message before blocking in read (0: never).
    public var spinMicroseconds: Int = 100
    /// Shared by the server's connections: a stop commits what they already read.
    public var stopGate = StopGate()

    public static let defaultMaximumMessageBytes = 16 << 20

    public init(
        registry: MethodRegistry, maximumMessageBytes: Int = defaultMaximumMessageBytes,
        translateError: @escaping @Sendable (any Error) -> ResponseError = { error in
            ResponseError(.internalError, "internal error: \(error)")
        }
    ) {
        self.registry = registry
        self.maximumMessageBytes = maximumMessageBytes
        self.translateError = translateError
    }

    /// The JSON-RPC error a handler's failure answers with.
    public func responseError(for error: any Error) -> ResponseError {
        (error as? ResponseError) ?? translateError(error)
    }
}
