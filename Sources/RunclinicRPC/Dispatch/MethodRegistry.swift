import RunclinicJSON

/// Every method the server answers: its contract and its handler, by name.
public struct MethodRegistry: Sendable {
    public struct Entry: Sendable {
        public let contract: MethodContract
        public let handler: MethodHandler
    }

    private let contracts: [String: MethodContract]
    private var entries: [String: Entry] = [:]

    public init(contracts: [String: MethodContract]) {
        self.contracts = contracts
    }

    /// A handler without a declaration is a programming error: the document is the API.
    public mutating func register(_ handler: MethodHandler) {
        precondition(entries[handler.name] == nil, "method \(handler.name) registered twice")
        guard let contract = contracts[handler.name] else {
            preconditionFailure("method \(handler.name) is not declared in the OpenRPC document")
        }
        entries[handler.name] = Entry(contract: contract, handler: handler)
    }

    public func entry(for method: String) -> Entry? {
        entries[method]
    }

    public var names: [String] { entries.keys.sorted() }

    /// Answers one call: the params checked against the method's contract, then its handler. The
    /// transports call this; so do in-process tests.
    public func call(_ method: String, params: JSONValue?, context: RequestContext) throws -> JSONValue {
        guard let entry = entries[method] else { throw ResponseError.methodNotFound(method, known: names) }
        return try entry.handler.handle(try Params(params, contract: entry.contract), context)
    }

    /// Declared methods no handler answers (a test requires none).
    public var unansweredDeclarations: [String] { contracts.keys.filter { entries[$0] == nil }.sorted() }
}
