import RunclinicJSON

/// What a method takes, read from the one place it is declared: the OpenRPC document. The
/// positional order, the names it refuses and the params it requires all come from here, so the
/// document and the server cannot disagree; handlers only read the values.
public struct MethodContract: Sendable, Equatable {
    public struct Param: Sendable, Equatable {
        public let name: String
        public let required: Bool

        public init(name: String, required: Bool) {
            self.name = name
            self.required = required
        }
    }

    public let name: String
    /// In positional order.
    public let params: [Param]
    /// Params beyond the declared ones are ignored, not refused (`initialize`, whose LSP peers send
    /// fields of their own): the document's `x-acceptsOtherParams`.
    public let acceptsOtherParams: Bool

    public init(name: String, params: [Param], acceptsOtherParams: Bool = false) {
        self.name = name
        self.params = params
        self.acceptsOtherParams = acceptsOtherParams
    }

    public var paramNames: [String] { params.map(\.name) }

    /// Every method of an OpenRPC document, by name.
    public static func all(fromOpenRPC document: JSONValue) throws(ContractError) -> [String: MethodContract] {
        guard let methods = document["methods"]?.arrayValue else {
            throw ContractError("the document has no methods array")
        }
        var contracts: [String: MethodContract] = [:]
        for method in methods {
            guard let name = method["name"]?.stringValue else { throw ContractError("a method without a name") }
            var params: [Param] = []
            for param in method["params"]?.arrayValue ?? [] {
                guard let paramName = param["name"]?.stringValue else {
                    throw ContractError("\(name): a param without a name")
                }
                guard !params.contains(where: { $0.name == paramName }) else {
                    throw ContractError("\(name): param \(paramName) declared twice")
                }
                params.append(Param(name: paramName, required: param["required"]?.boolValue ?? false))
            }
            guard contracts[name] == nil else { throw ContractError("method \(name) declared twice") }
            contracts[name] = MethodContract(
                name: name, params: params,
                acceptsOtherParams: method["x-acceptsOtherParams"]?.boolValue ?? false)
        }
        return contracts
    }

    public struct ContractError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = "OpenRPC document: \(description)" }
    }
}
