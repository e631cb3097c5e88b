import RunclinicJSON

/// Every method the server answers: its contract and its handler, by name.
public struct MethodRegistry: Sendable {
    public struct Entry: Sendable {
        public let contract: MethodContract
        public let handler: MethodHandler

        /// The params checked against the contract, then the handler.
        public func call(params: JSONValue?, context: RequestContext) throws -> JSONValue {
            try handler.handle(try Params(params, contract: contract), context)
        }
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

    /// Answers one call by method name (in-process callers; the transports look the entry up once
    /// and call it).
    public func call(_ method: String, params: JSONValue?, context: RequestContext) throws -> JSONValue {
        guard let entry = entries[method] else { throw ResponseError.methodNotFound(method, known: names) }
        return try entry.call(params: params, context: context)
    }

    /// Declared methods no handler answers (a test requires none).
    public var unansweredDeclarations: [String] { contracts.keys.filter { entries[$0] == nil }.sorted() }
}
