import ArgumentParser
import Foundation
import Logging
import RunclinicEngine
import RunclinicJSON
import RunclinicMCP
import RunclinicRPC
import RunclinicService

#if canImport(Glibc)
    import Glibc
#endif

struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract:
            "Serve the API to AI assistants as an MCP server over stdio (tools from the same method declarations).",
        discussion: """
            Add it to an assistant as a stdio server: `runclinic mcp --db runs.db`, or `runclinic mcp --socket PATH` \
            to use a trainer's running server. stdout carries MCP messages only; logs go to stderr.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var logging: LoggingOptions

    @Option(
        help: ArgumentHelp(
            "Call a trainer's server on its socket (`runclinic serve --socket PATH`) instead of opening the store.",
            valueName: "path"))
    var socket: String?

    func run() throws {
        logging.bootstrap()
        let logger = Logger(label: "runclinic.mcp")
        signal(SIGPIPE, SIG_IGN)
        let invoke: MCPServer.Invoke
        var closeStore: () -> Void = {}
        if let socket {
            invoke = { method, params in try Self.call(socket: socket, method: method, params: params) }
        } else {
            let runStore: RunStore
            do {
                runStore = try RunStore(location: store.resolvedPath)
            } catch {
                throw RuntimeFailure("cannot open the store \(store.shownLocation): \(error)")
            }
            closeStore = { runStore.close() }
            let service = RunclinicService(store: runStore, imageInspector: InspectionWorkerPool.selfExecuting())
            let configuration = service.configuration()
            invoke = { method, params in
                let context = RequestContext(id: .int(1), method: method, connection: .detached())
                do {
                    return try configuration.registry.call(method, params: params, context: context)
                } catch {
                    throw ToolFailure(configuration.responseError(for: error))
                }
            }
        }
        let catalog = try ToolCatalog(document: try RunclinicService.apiDocument())
        let server = MCPServer(catalog: catalog, version: RunclinicService.version, logger: logger, invoke: invoke)
        let finished = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do {
                try await server.run()
            } catch {
                failure.set("\(error)")
            }
            finished.signal()
        }
        finished.wait()
        closeStore()
        if let message = failure.value { throw RuntimeFailure("mcp: \(message)") }
    }

    /// One call on a trainer's server socket.
    static func call(socket: String, method: String, params: JSONValue) throws -> JSONValue {
        let reply = try CallCommand.send(method, params, to: socket)
        if let error = reply["error"] {
            throw ToolFailure(error["message"]?.stringValue ?? JSONWriter.string(error))
        }
        return reply["result"] ?? .null
    }
}

/// A tool call's failure, with the API's message.
struct ToolFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }

    init(_ error: ResponseError) {
        var text = error.message
        if let field = error.data?["field"]?.stringValue, !text.contains(field) { text += " (field \(field))" }
        description = text
    }
}
