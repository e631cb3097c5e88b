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

    /// Runs a blocking call off the cooperative pool (an analysis reads a whole run); when the
    /// client asked for progress, tells it every second that the call is still going, then done.
    static func running<T: Sendable>(
        _ work: @escaping @Sendable () throws -> T, reporting token: ProgressToken?, as name: String, to server: Server
    ) async -> Result<T, any Error> {
        let started = Date()
        let ticker: Task<Void, Never>? = token.map { token in
            Task {
                var seconds = 0.0
                while !Task.isCancelled {
                    try? await server.notify(
                        ProgressNotification.message(
                            .init(
                                progressToken: token, progress: seconds, message: "\(name): working, \(Int(seconds)) s")
                        ))
                    try? await Task.sleep(for: .seconds(1))
                    seconds = Date().timeIntervalSince(started)
                }
            }
        }
        let outcome: Result<T, any Error> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: Result { try work() }) }
        }
        ticker?.cancel()
        if let token {
            let seconds = Date().timeIntervalSince(started)
            try? await server.notify(
                ProgressNotification.message(
                    .init(
                        progressToken: token, progress: max(seconds, 0.001), total: max(seconds, 0.001),
                        message: "\(name): done")))
        }
        return outcome
    }

    /// Serves until the client closes stdin.
    public func run() async throws {
        let server = Server(
            name: "runclinic", version: version,
            instructions:
                "runclinic watches machine-learning training runs: list the runs, read their metrics, and ask analyze_run why a run went wrong.",
            capabilities: .init(
                resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false)))
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
            let outcome = await Self.running(
                { try invoke(entry.method, request) }, reporting: params._meta?.progressToken, as: entry.tool,
                to: server)
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
        // Reports are resources: a run's analysis, as markdown, written when it is read.
        await server.withMethodHandler(ListResources.self) { _ in
            let runs = (try? invoke("run.list", ["limit": 200]))?["runs"]?.arrayValue ?? []
            return .init(
                resources: runs.compactMap { run in
                    guard let id = run["run_id"]?.intValue, let name = run["name"]?.stringValue else { return nil }
                    return Resource(
                        name: "Analysis of \(name)", uri: ReportResource.uri(runID: id),
                        description:
                            "Why run \(name) (project \(run["project"]?.stringValue ?? "?")) went as it did: the analysis report",
                        mimeType: "text/markdown")
                }, nextCursor: nil)
        }
        await server.withMethodHandler(ReadResource.self) { params in
            guard let runID = ReportResource.runID(in: params.uri) else {
                throw MCPError.invalidParams(
                    "no resource \(params.uri): reports are \(ReportResource.uri(runID: 1)) and the like")
            }
            let outcome = await Self.running(
                { try ReportResource.markdown(runID: runID, invoke: invoke) }, reporting: nil, as: "report", to: server)
            switch outcome {
            case .success(let text):
                return .init(contents: [.text(text, uri: params.uri, mimeType: "text/markdown")])
            case .failure(let error):
                throw MCPError.invalidParams("\(error)")
            }
        }
        let transport = StdioTransport(logger: logger)
        try await server.start(transport: transport)
        await server.waitUntilCompleted()
    }
}
