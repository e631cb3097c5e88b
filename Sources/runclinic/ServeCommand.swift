import ArgumentParser
import Foundation
import Logging
import RunclinicEngine
import RunclinicJSON
import RunclinicRPC
import RunclinicService

#if canImport(Glibc)
    import Glibc
#endif

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the JSON-RPC API on stdin/stdout (default) or a Unix socket.",
        discussion: """
            Framing is detected per connection: LSP `Content-Length:` headers or one JSON message per line. \
            The server exits after committing everything it accepted on stdin EOF, `exit`, SIGINT or SIGTERM.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var logging: LoggingOptions

    @Option(help: ArgumentHelp("Listen on this Unix socket instead of stdio.", valueName: "path"))
    var socket: String?

    @Flag(help: "Serve stdio as well as --socket (a trainer's own server that an editor can attach to).")
    var stdio = false

    @Option(help: ArgumentHelp("Largest message accepted, in bytes.", valueName: "bytes"))
    var maxMessageBytes: Int = ServerConfiguration.defaultMaximumMessageBytes

    @Option(
        help: ArgumentHelp(
            "Most socket clients served at once; past it a client is told the server is busy.", valueName: "count"))
    var maxConnections: Int = 256

    @Option(
        help: ArgumentHelp(
            "Monitoring settings (YAML, the `experiment_monitoring` section); a run's inline config wins.",
            valueName: "file"))
    var config: String?

    @Option(
        help: ArgumentHelp(
            "Longest a fire-and-forget point waits before it is committed, in milliseconds.", valueName: "ms"))
    var commitWindowMs: Int = 50

    @Option(
        help: ArgumentHelp(
            "normal: a killed server loses nothing committed; full: a power loss does not either (every commit synced to disk, slower).",
            valueName: "normal|full"))
    var durability: DiskSync = .normal

    func validate() throws {
        guard maxConnections >= 1 else { throw ValidationError("--max-connections must be at least 1") }
        guard maxMessageBytes >= 1024 else { throw ValidationError("--max-message-bytes must be at least 1024") }
        guard (1...1000).contains(commitWindowMs) else {
            throw ValidationError("--commit-window-ms must be between 1 and 1000")
        }
    }

    func run() throws {
        logging.bootstrap()
        let logger = Logger(label: "runclinic.serve")
        SignalWatcher.blockTerminationSignals()
        LargeMessageMemory.configure()

        let runStore: RunStore
        do {
            runStore = try RunStore(
                location: store.resolvedPath, commitWindow: Double(commitWindowMs) / 1000, sync: durability)
        } catch {
            throw RuntimeFailure("cannot open the store \(store.shownLocation): \(error)")
        }
        let defaults: (monitor: MonitorConfiguration, audit: ImageQualityThresholds)
        do {
            defaults = try Self.loadConfiguration(config, logger: logger)
        } catch {
            runStore.close()
            throw ValidationError("\(error)")
        }
        let service = RunclinicService(
            store: runStore, defaults: defaults.monitor, auditDefaults: defaults.audit,
            imageInspector: InspectionWorkerPool.selfExecuting())
        let configuration = service.configuration(maximumMessageBytes: maxMessageBytes)
        let listener: UnixSocketListener?
        if let socket {
            do {
                listener = try UnixSocketListener(path: socket)
            } catch {
                runStore.close()
                throw RuntimeFailure("\(error)")
            }
        } else {
            listener = nil
        }

        let stop = ServerStop.onSignals(
            configuration: configuration, service: service, store: runStore, logger: logger,
            first: { listener?.close() })
        logger.info("serving store \(runStore.location)\(socket.map { " on \($0)" } ?? "")")

        if let listener {
            let connectionIDs = ConnectionCounter()
            let clients = SocketClients(limit: maxConnections, logger: logger)
            let acceptClients: @Sendable () -> Void = {
                listener.acceptLoop { descriptor in
                    clients.admit(descriptor) { descriptor in
                        Connection(
                            id: connectionIDs.next(), input: descriptor, output: descriptor,
                            peerDescription: "socket client", configuration: configuration, logger: logger)
                    }
                }
            }
            if stdio {
                Thread.detachNewThread(acceptClients)
            } else {
                acceptClients()
                stop(0)
            }
        }
        let connection = Connection(
            id: 0, input: STDIN_FILENO, output: STDOUT_FILENO, peerDescription: "stdio",
            configuration: configuration, logger: logger)
        let reason = connection.run()
        logger.info("stdio closed (\(reason)): committing and exiting")
        stop(0)
    }
}

extension ServeCommand {
    /// Reads `--config FILE` (`experiment_monitoring:` and `audit:` sections): bad values stop
    /// the server with the key's path; unknown monitoring keys warn.
    static func loadConfiguration(_ path: String?, logger: Logger) throws -> (
        monitor: MonitorConfiguration, audit: ImageQualityThresholds
    ) {
        guard let path else { return (MonitorConfiguration(), ImageQualityThresholds()) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read --config \(path): \(error.localizedDescription)")
        }
        let document: JSONValue
        do {
            document = try YAMLDocument.parse(text)
        } catch {
            throw ValidationError("--config \(path) is not valid YAML: \(error)")
        }
        do {
            let (configuration, warnings) = try MonitorConfiguration.parse(document)
            for warning in warnings { logger.warning("--config \(path): \(warning)") }
            return (configuration, try ImageQualityThresholds.parse(document["audit"]?.objectValue, path: "audit"))
        } catch {
            throw ValidationError("--config \(path): \(error)")
        }
    }
}
