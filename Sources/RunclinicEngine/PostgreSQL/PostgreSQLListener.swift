import CLibPQ
import Foundation
import Logging
import Synchronization

/// Waits on a channel of PostgreSQL's LISTEN/NOTIFY on a connection of its own, in a thread of its
/// own, and hands each payload over as it arrives. A lost connection is opened again (once a
/// second); what was notified meanwhile is missed, as LISTEN/NOTIFY keeps nothing for the absent.
final class PostgreSQLListener: Sendable {
    private let connectionString: String
    private let channel: String
    private let onPayload: @Sendable (String) -> Void
    private let stopped = Atomic<Bool>(false)
    private let logger = Logger(label: "runclinic.store")

    init(connectionString: String, channel: String, onPayload: @escaping @Sendable (String) -> Void) {
        self.connectionString = connectionString
        self.channel = channel
        self.onPayload = onPayload
        let thread = Thread { [self] in listen() }
        thread.name = "runclinic-listener"
        thread.start()
    }

    func stop() { stopped.store(true, ordering: .relaxed) }

    private func listen() {
        var failures = 0
        while !stopped.load(ordering: .relaxed) {
            do {
                let connection = try PostgreSQLConnection(connectionString: connectionString)
                try connection.execute("LISTEN \(channel)")
                if failures > 0 { logger.info("listening for shared alerts again") }
                failures = 0
                try receive(on: connection)
            } catch {
                if failures == 0 { logger.warning("shared alerts: \(error); trying again every second") }
                failures += 1
            }
            Thread.sleep(forTimeInterval: 1)
        }
    }

    /// Reads notifications until the connection fails or the listener stops.
    private func receive(on connection: PostgreSQLConnection) throws(DatabaseError) {
        let libpq = connection.libpq
        while !stopped.load(ordering: .relaxed) {
            var descriptor = pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 500) >= 0 || errno == EINTR else { throw connection.failure(sql: nil) }
            guard libpq.p.consumeInput(connection.handle) == 1 else { throw connection.failure(sql: nil) }
            while let notice = libpq.p.notifies(connection.handle) {
                if let extra = notice.pointee.extra { onPayload(String(cString: extra)) }
                libpq.p.freemem(notice)
            }
        }
    }
}
