import RunclinicJSON
import RunclinicRPC

/// schema/openrpc.json, compiled into the binary so `rpc.discover` needs no file at run time.
enum OpenRPCDocument {
    static func json() throws(ResponseError) -> JSONValue {
        do {
            return try JSONParser.parse(PackageResources.openrpc_json)
        } catch {
            throw ResponseError(.internalError, "the embedded OpenRPC document is not JSON: \(error)")
        }
    }
}

extension OpenRPCDocument {
    /// Every method's contract, read once from the embedded document.
    static let contracts: [String: MethodContract] = {
        do {
            return try MethodContract.all(fromOpenRPC: json())
        } catch {
            preconditionFailure("the embedded OpenRPC document: \(error)")
        }
    }()
}

extension RunclinicService {
    /// The API's declaration (schema/openrpc.json), for surfaces that derive from it (MCP tools).
    public static func apiDocument() throws -> JSONValue {
        try OpenRPCDocument.json()
    }
}
