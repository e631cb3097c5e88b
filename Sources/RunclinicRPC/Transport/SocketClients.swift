import Foundation
import Logging
import RunclinicJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A socket server's clients: at most `limit` at once (past it a client is told why and closed),
/// and a client that has sent nothing for a while holds no thread: its descriptor is parked with
/// one poller thread, and a thread serves it again when it speaks. A trainer logging steadily
/// keeps its thread; a thousand idle editors cost one.
public final class SocketClients: @unchecked Sendable {
    public let limit: Int
    /// How long a served client may stay silent before it is parked.
    public let idleMilliseconds: Int32
    private let logger: Logger
    private let lock = NSLock()
    private var active = 0
    private var parked: [Int32: Connection] = [:]
    /// Written to wake the poller when a client is parked.
    private var wakePipe: [Int32] = [-1, -1]
    private var pollerStarted = false

    public init(limit: Int, idleMilliseconds: Int32 = 1_000, logger: Logger) {
        self.limit = limit
        self.idleMilliseconds = idleMilliseconds
        self.logger = logger
    }

    /// Takes a newly accepted client, or refuses it (the reply says why) when `limit` are connected.
    public func admit(_ descriptor: Int32, makeConnection: (Int32) -> Connection) {
        let admitted = lock.withLock {
            guard active < limit else { return false }
            active += 1
            return true
        }
        guard admitted else {
            logger.warning("refused a client: \(limit) connections, the limit")
            let refusal = OutgoingMessage.error(
                id: .null,
                ResponseError(
                    .serverError, "server busy: \(limit) clients are connected, the limit (serve --max-connections)",
                    data: ["limit": .int(Int64(limit))]))
            var line = JSONWriter.encode(refusal)
            line.append(0x0A)
            _ = ConnectionHandle.writeAll(line, to: descriptor)
            Glibc.close(descriptor)
            return
        }
        serve(makeConnection(descriptor), descriptor: descriptor)
    }

    /// Serves the client on a thread of its own until it ends or goes quiet.
    private func serve(_ connection: Connection, descriptor: Int32) {
        let thread = Thread { [self] in
            guard connection.serveUntilIdle(idleMilliseconds: idleMilliseconds) != nil else {
                park(connection, descriptor: descriptor)
                return
            }
            connection.finish()
            Glibc.close(descriptor)
            lock.withLock { active -= 1 }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func park(_ connection: Connection, descriptor: Int32) {
        lock.withLock {
            if !pollerStarted {
                pollerStarted = true
                _ = pipe(&wakePipe)
                let poller = Thread { [self] in watchParked() }
                poller.name = "runclinic-parked-clients"
                poller.start()
            }
            parked[descriptor] = connection
        }
        var byte: UInt8 = 1
        _ = write(wakePipe[1], &byte, 1)
    }

    /// Waits for a parked client to send something (or hang up), and serves it again.
    private func watchParked() {
        while true {
            var descriptors = lock.withLock {
                [pollfd(fd: wakePipe[0], events: Int16(POLLIN), revents: 0)]
                    + parked.keys.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            }
            guard poll(&descriptors, nfds_t(descriptors.count), -1) > 0 else { continue }
            if descriptors[0].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 256)
                _ = read(wakePipe[0], &drain, drain.count)
            }
            for descriptor in descriptors.dropFirst() where descriptor.revents != 0 {
                guard let connection = lock.withLock({ parked.removeValue(forKey: descriptor.fd) }) else { continue }
                serve(connection, descriptor: descriptor.fd)
            }
        }
    }
}
