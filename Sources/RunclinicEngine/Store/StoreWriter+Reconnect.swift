import Foundation
import Logging

/// A PostgreSQL writer whose connection is lost (a restarted server, a network cut) opens a new
/// one, retrying for up to `reconnectDeadline` seconds, and writes again what the lost
/// transaction held (TransactionReplay) before anything else. Only when no connection comes
/// back are the fire-and-forget points reported lost, as with any failed commit.
extension StoreWriter {
    /// How long a lost connection is tried again: 30 s, or $RUNCLINIC_RECONNECT_SECONDS.
    static let reconnectDeadline: Double = {
        let configured = ProcessInfo.processInfo.environment["RUNCLINIC_RECONNECT_SECONDS"].flatMap(Double.init)
        return configured.map { max(0, $0) } ?? 30
    }()
    private static let logger = Logger(label: "runclinic.store")

    /// Whether `error` is one this writer recovers from by writing the transaction again: a lost
    /// connection, or a conflict with another writer of the same rows (see `isConflict`).
    func canRecover(from error: any Error) -> Bool {
        guard replay.isKept, let error = error as? DatabaseError else { return false }
        return error.isConnectionLost || Self.isConflict(error)
    }

    /// Two writers of the same metrics of one run: a COPY of points met a row the other had
    /// written, or their transactions waited on each other (a deadlock PostgreSQL broke).
    static func isConflict(_ error: DatabaseError) -> Bool {
        (error.sqlState == "23505" && error.sql == copyPointsSQL) || error.sqlState == "40P01"
    }

    func recoverConnection(after error: any Error) throws {
        if let error = error as? DatabaseError, Self.isConflict(error) {
            Self.logger.notice(
                "another writer logs the same metrics of a run (\(error.message)): this writer's transaction is written again, its points as upserts from now on"
            )
            copyDisabled = true
            heldPoints.removeAll()
            heldRows.removeAll()
            connection.holdsWrites = false
            try connection.execute("ROLLBACK")
            try writeReplay()
            return
        }
        // Once the database stayed away past the deadline, each call tries once, and fails at
        // once if it is still away, rather than waiting the deadline again.
        if connectionStayedAway {
            do {
                try replaceConnection()
                try writeReplay()
                Self.logger.warning("connected to the store again")
                connectionStayedAway = false
                return
            } catch let failure as DatabaseError where failure.isConnectionLost {
                loseTransaction("the store's connection is lost: \(failure)")
                throw failure
            }
        }
        Self.logger.warning("the store's connection was lost (\(error)); connecting again")
        let started = WallClock.now()
        var delay = 0.25
        var lastError: any Error = error
        while WallClock.now() - started < Self.reconnectDeadline {
            do {
                try replaceConnection()
                try writeReplay()
                Self.logger.warning(
                    "connected again after \(String(format: "%.1f", WallClock.now() - started)) s; nothing was lost")
                return
            } catch let failure as DatabaseError where failure.isConnectionLost {
                lastError = failure
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 2)
            }
        }
        connectionStayedAway = true
        Self.logger.error(
            "the store's connection did not come back in \(Int(Self.reconnectDeadline)) s; what cannot be stored is reported to its senders until it does"
        )
        loseTransaction(
            "the store's connection was lost and did not come back in \(Int(Self.reconnectDeadline)) s: \(lastError)")
        throw lastError
    }

    /// A new connection, and none of the old one's statements.
    private func replaceConnection() throws(DatabaseError) {
        let fresh = try StoreSchema.openWriter(location, sync: sync)
        fresh.heldWrites = self
        connection = fresh
        // What was held for the lost transaction is in the replay.
        heldPoints.removeAll()
        heldRows.removeAll()
        statements.removeAll()
        insertPointsStatements.removeAll()
        heldPointsStatements.removeAll()
        autocommitConnection = nil
    }

    /// What the lost transaction held, in a new transaction, committed.
    private func writeReplay() throws {
        transactionOpenedAt = nil
        let points = replay.points
        let writes = replay.writes
        guard !points.isEmpty || !writes.isEmpty else { return }
        try beginIfNeeded()
        heldPoints = points
        connection.holdsWrites = !points.isEmpty
        try connection.writeHeld()
        for write in writes {
            let prepared = try statement(write.sql)
            for (index, value) in write.values.enumerated() { value.bind(to: prepared, at: Int32(index + 1)) }
            try prepared.run()
        }
        try commit()
    }
}
