import ArgumentParser
import Foundation
import RunclinicEngine
import RunclinicJSON
import RunclinicRPC
import RunclinicService

#if canImport(Glibc)
    import Glibc
#endif

/// One JSON-RPC call, to a server's Unix socket or, with no socket, to the store itself in process:
/// what the shell client runs.
struct CallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Send one JSON-RPC request to a server's Unix socket, or to a store, and print the result.",
        discussion: """
            Prints the result as JSON on stdout; on an error prints it on stderr and exits with status 1. \
            Without --socket the request is served in process on the store (--db, else $RUNCLINIC_DB, else ./runclinic.db); \
            a store that does not exist is created only by run.start or import.run.
            """
    )

    @Option(help: ArgumentHelp("The server's Unix socket (runclinic serve --socket PATH).", valueName: "path"))
    var socket: String?

    @OptionGroup var store: StoreOptions

    @Argument(help: "The method, e.g. run.list.")
    var method: String

    @Argument(help: "Params as a JSON object or array.")
    var params: String?

    /// Methods that may start a store: they are how data gets into one.
    static let creatingMethods: Set<String> = ["run.start", "import.run"]

    func validate() throws {
        if socket != nil && store.databasePath != nil { throw ValidationError("give --socket or --db, not both") }
    }

    func run() throws {
        var parsedParams: JSONValue? = nil
        if let params {
            do {
                parsedParams = try JSONParser.parse(params)
            } catch {
                throw ValidationError("params are not JSON: \(error)")
            }
        }
        let message = try socket.map { try Self.send(method, parsedParams, to: $0) } ?? serveInProcess(parsedParams)
        // Strict JSON (non-finite numbers as the strings "NaN", "Infinity"), which jq reads.
        let strict = { (value: JSONValue) in
            String(decoding: JSONWriter.encode(value, nonFinite: .strings), as: UTF8.self) + "\n"
        }
        if let error = message["error"] {
            FileHandle.standardError.write(Data(strict(error).utf8))
            throw ExitCode(1)
        }
        FileHandle.standardOutput.write(Data(strict(message["result"] ?? .null).utf8))
    }

    static func send(_ method: String, _ params: JSONValue?, to socket: String) throws -> JSONValue {
        var request: JSONObject = ["jsonrpc": "2.0", "id": 1, "method": .string(method)]
        if let params { request["params"] = params }
        let descriptor = try UnixSocketClient.connect(path: socket)
        defer { close(descriptor) }
        var line = JSONWriter.encode(.object(request))
        line.append(0x0A)
        guard ConnectionHandle.writeAll(line, to: descriptor) else {
            throw RuntimeFailure("cannot send to \(socket)")
        }
        guard let reply = UnixSocketClient.readLine(from: descriptor) else {
            throw RuntimeFailure("the server closed the connection without answering")
        }
        return try JSONParser.parse(reply)
    }

    /// The reply, as a server would send it.
    func serveInProcess(_ params: JSONValue?) throws -> JSONValue {
        let runStore: RunStore
        if Self.creatingMethods.contains(method) {
            do {
                runStore = try RunStore(location: store.resolvedPath)
            } catch {
                throw RuntimeFailure("cannot open the store \(store.shownLocation): \(error)")
            }
        } else {
            runStore = try store.openExisting()
        }
        defer { runStore.close() }
        let service = RunclinicService(store: runStore, imageInspector: InspectionWorkerPool.selfExecuting())
        let configuration = service.configuration()
        let context = RequestContext(id: 1, method: method, connection: .detached())
        let reply: JSONValue
        do {
            reply = OutgoingMessage.result(
                id: 1, try configuration.registry.call(method, params: params, context: context))
        } catch {
            reply = OutgoingMessage.error(id: 1, configuration.responseError(for: error))
        }
        service.finishDeliveries()
        try runStore.flush()
        return reply
    }
}
