import RunclinicJSON

/// How a method runs: on the connection's reader thread, in order with the messages around it
/// (fast calls such as logging, whose order matters), or on a thread of its own so the
/// connection keeps reading and `$/cancelRequest` can reach it (long calls).
public enum Execution: Sendable {
    case inline
    case concurrent
}

/// How the server answers a method. What the method takes is its contract (MethodContract), declared
/// once in the OpenRPC document; the handler reads params already checked against it.
public struct MethodHandler: Sendable {
    public let name: String
    public let execution: Execution
    public let handle: @Sendable (Params, RequestContext) throws -> JSONValue

    public init(
        _ name: String, execution: Execution = .inline,
        handle: @escaping @Sendable (Params, RequestContext) throws -> JSONValue
    ) {
        self.name = name
        self.execution = execution
        self.handle = handle
    }
}
