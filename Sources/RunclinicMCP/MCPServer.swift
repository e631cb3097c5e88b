import Foundation
import Logging
import MCP
import RunclinicJSON

/// `runclinic mcp`: an MCP server over stdio, built with the official Swift SDK. Its tools are the
/// API's methods (see `ToolCatalog`); a call runs the method through `invoke`, in this process or
/// on a trainer's server, and an API error comes back as a tool error with the API's message.
public struct MCPServer: Sendable {
    /// Runs one JSON-RPC method; throws with the message a person can act on.
    public typealias Invoke = @Sendable (_ method: String, _ params: JSONValue) throws -> JSONValue

    let catalog: ToolCatalog
    let invoke: Invoke
    let version: String
    let logger: Logger

    public init(catalog: ToolCatalog, version: String, logger: Logger, invoke: @escaping Invoke) {
        self.catalog = catalog
        self.version = version
        self.logger = logger
        self.invoke = invoke
    }

    /// Serves until the client closes stdin.
    public func run() async throws {
        let server = Server(
            name: "runclinic", version: version,
            instructions:
                "runclinic watches machine-learning training runs: list the runs, read their metrics, and ask analyze_run why a run went wrong.",
            capabilities: .init(tools: .init(listChanged: false)))
        let catalog = self.catalog
        let invoke = self.invoke
        await server.withMethodHandler(ListTools.self) { _ in
            .init(
                tools: catalog.entries.map { entry in
                    Tool(
                        name: entry.tool, description: entry.description,
                        inputSchema: MCPValueConversion.value(entry.inputSchema),
                        annotations: .init(readOnlyHint: entry.tool != "import_run" && entry.tool != "audit_images"))
                })
        }
        await server.withMethodHandler(CallTool.self) { params in
            guard let entry = catalog.entry(named: params.name) else {
                return .init(
                    content: [
                        .text(
                            text:
                                "no tool \(params.name); tools: \(catalog.entries.map(\.tool).joined(separator: ", "))",
                            annotations: nil, _meta: nil)
                    ],
                    isError: true)
            }
            var arguments = entry.defaults
            for (key, value) in params.arguments ?? [:] { arguments[key] = MCPValueConversion.json(value) }
            if let hidden = arguments.keys.first(where: entry.hidden.contains) {
                return .init(
                    content: [.text(text: "\(entry.tool) does not take \(hidden)", annotations: nil, _meta: nil)],
                    isError: true)
            }
            let request = JSONValue.object(arguments)
            // The API's methods block (an analysis reads a whole run): off the cooperative pool.
            let outcome: Result<JSONValue, any Error> = await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(returning: Result { try invoke(entry.method, request) })
                }
            }
            switch outcome {
            case .success(let result):
                let structured: Value? = MCPValueConversion.value(result)
                return .init(
                    content: [
                        .text(
                            text: ToolResultText.render(tool: entry.tool, result: result), annotations: nil, _meta: nil)
                    ],
                    structuredContent: structured, isError: false)
            case .failure(let error):
                return .init(
                    content: [.text(text: "\(entry.tool): \(error)", annotations: nil, _meta: nil)], isError: true)
            }
        }
        let transport = StdioTransport(logger: logger)
        try await server.start(transport: transport)
        await server.waitUntilCompleted()
    }
}
