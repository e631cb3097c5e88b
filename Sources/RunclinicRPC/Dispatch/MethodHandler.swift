import RunclinicJSON

/// How a method runs: on the connection's reader thread, in order with the messages around it
/// (fast calls such as logging, whose order matters), or on a thread of its own so the
/// connection keeps reading and `$/cancelRequest` can reach it (long calls).
public enum Execution: Sendable {
    case inline
    case concurrent
}

/// A method the server answers: its name, its params in positional order, and its handler.
public struct MethodHandler: Sendable {
    public let name: String
    public let positionalParams: [String]
    public let execution: Execution
    public let handle: @Sendable (Params, RequestContext) throws -> JSONValue

    public init(_ name: String, positionalParams: [String] = [], execution: Execution = .inline,
                handle: @escaping @Sendable (Params, RequestContext) throws -> JSONValue) {
        self.name = name
        self.positionalParams = positionalParams
        self.execution = execution
        self.handle = handle
    }
}
