import ArgumentParser
import Foundation
import Logging
import RunclinicEngine
import RunclinicJSON
import RunclinicRPC
import RunclinicService
import RunclinicWeb

#if canImport(Glibc)
    import Glibc
#endif

struct UICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Serve a local dashboard of the store's runs (the same JSON-RPC API, over a WebSocket).",
        discussion: """
            Prints the dashboard's URL, with a random access token in it, as the first line on stdout. \
            Every request must carry the token; the WebSocket refuses pages of other origins. \
            It can run beside trainers logging to the same store.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var logging: LoggingOptions

    @Option(
        help: ArgumentHelp(
            "Address to listen on (loopback by default: other machines cannot reach it).", valueName: "host"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("Port to listen on (0: any free port).", valueName: "port"))
    var port = 8765

    @Flag(help: "Open the dashboard in the default browser as well.")
    var open = false

    @Option(
        help: ArgumentHelp(
            "Attach to a trainer's server socket (`runclinic serve --socket PATH`) instead of opening the store.",
            valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp("Largest message accepted, in bytes.", valueName: "bytes"))
    var maxMessageBytes: Int = ServerConfiguration.defaultMaximumMessageBytes

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxMessageBytes >= 1024 else { throw ValidationError("--max-message-bytes must be at least 1024") }
    }

    func run() throws {
        logging.bootstrap()
        let logger = Logger(label: "runclinic.ui")
        SignalWatcher.blockTerminationSignals()
        // Attached to a trainer's server, the page's calls go to it; the store it names is opened
        // here too, only to tell which images the page may show.
        let storePath: String
        if let socket {
            // A PostgreSQL store is named without its password (`user:***@`): libpq then reads it
            // from PGPASSWORD or ~/.pgpass, as the trainer's server may have.
            storePath = try Self.storePath(ofServerAt: socket).replacingOccurrences(of: ":***@", with: "@")
        } else {
            storePath = store.resolvedPath
        }
        let runStore: RunStore
        do {
            runStore = try RunStore(location: storePath)
        } catch {
            throw RuntimeFailure("cannot open the store \(StoreLocation(storePath)): \(error)")
        }
        let service = RunclinicService(
            store: runStore, defaults: MonitorConfiguration(), auditDefaults: ImageQualityThresholds(),
            imageInspector: InspectionWorkerPool.selfExecuting())
        let configuration = service.configuration(maximumMessageBytes: maxMessageBytes)
        let stop = ServerStop.onSignals(configuration: configuration, service: service, store: runStore, logger: logger)
        let server = DashboardServer(
            upstream: socket.map { .unixSocket($0) } ?? .inProcess(configuration), maximumMessageBytes: maxMessageBytes,
            host: host, port: port, token: .random(), logger: logger,
            mayShowImage: { path in (try? runStore.knowsImage(path: path)) ?? false })
        let openBrowser = open
        let host = self.host
        let failure = FailureBox()
        let finished = DispatchSemaphore(value: 0)
        Task {
            do {
                try await server.run { bound in
                    let shownHost = host.contains(":") ? "[\(host)]" : host
                    let url = "http://\(shownHost):\(bound)/?token=\(server.token.value)"
                    // The first line on stdout, as Jupyter prints its URL: scripts read it.
                    FileHandle.standardOutput.write(Data((url + "\n").utf8))
                    logger.info("dashboard of \(runStore.location) at http://\(shownHost):\(bound)/")
                    if openBrowser { Self.openInBrowser(url, logger: logger) }
                }
            } catch {
                failure.set("\(error)")
            }
            finished.signal()
        }
        finished.wait()
        if let message = failure.value {
            FileHandle.standardError.write(Data("runclinic ui: cannot serve on \(host):\(port): \(message)\n".utf8))
            stop(1)
        }
        stop(0)
    }

    /// The store a trainer's server serves, from its `initialize` reply.
    static func storePath(ofServerAt socket: String) throws -> String {
        let reply: JSONValue
        do {
            reply = try CallCommand.send("initialize", [:], to: socket)
        } catch {
            throw RuntimeFailure("\(error) (is `runclinic serve --socket \(socket)` running?)")
        }
        guard let path = reply["result"]?["store"]?["path"]?.stringValue else {
            throw RuntimeFailure("the server at \(socket) did not say which store it serves")
        }
        return path
    }

    static func openInBrowser(_ url: String, logger: Logger) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["xdg-open", url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            logger.warning("cannot open a browser (xdg-open): \(error); open the URL above by hand")
        }
    }
}

/// The server task's error, read after it ends.
final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var message: String?

    var value: String? { lock.withLock { message } }

    func set(_ text: String) {
        lock.withLock { message = text }
    }
}
