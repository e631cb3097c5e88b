import Foundation
import Logging
import RunclinicJSON
import Synchronization

/// The store of runs, metrics, batches and checkpoints, in a SQLite file or a PostgreSQL database.
/// Thread-safe: one writer connection with a group-commit transaction, and one reader connection
/// so reads never wait on the writer.
///
/// Durability: an `.acknowledged` write is committed before its call returns. `.deferred` writes
/// (fire-and-forget logging) are committed by the next acknowledged write or within
/// `commitWindow` seconds by the background committer, so a killed process loses at most the
/// last window of fire-and-forget points.
public final class RunStore: Sendable {
    public let location: StoreLocation
    public let commitWindow: Double
    public let sync: DiskSync
    private let writer: Locked<StoreWriter>
    private let reader: Locked<any DatabaseConnection>
    private let stopped = Atomic<Bool>(false)
    private let lossHandler = Mutex<(@Sendable ([LostWrites]) -> Void)?>(nil)
    private let logger = Logger(label: "runclinic.store")
    /// Tells this store's shared alerts from other servers' (see RunStore+SharedAlerts).
    let instanceID = UUID().uuidString
    let sharedAlertHandler = Mutex<(@Sendable (String) -> Void)?>(nil)
    let sharedAlertListener = Mutex<PostgreSQLListener?>(nil)

    /// `location`: a SQLite file's path, or a `postgresql://` connection string. `sync` sets SQLite's
    /// fsync policy; a PostgreSQL commit is as durable as its server is configured to make it.
    public init(location: String, commitWindow: Double = 0.05, sync: DiskSync = .normal) throws {
        self.location = StoreLocation(location)
        self.commitWindow = commitWindow
        self.sync = sync
        do {
            let writeConnection = try StoreSchema.openWriter(self.location, sync: sync)
            try Migrator.migrate(writeConnection)
            let readConnection = try StoreSchema.openReader(self.location)
            writer = Locked(StoreWriter(connection: writeConnection, location: self.location, sync: sync))
            reader = Locked(readConnection)
        } catch {
            throw EngineError(error)
        }
        startCommitter()
    }

    /// Commits deferred writes that have waited half a window; a point waits at most one window.
    private func startCommitter() {
        let interval = commitWindow / 2
        let thread = Thread { [self] in
            while !stopped.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: interval)
                do {
                    try write { state in try state.commit(ifOlderThan: interval) }
                } catch {
                    logger.error("background commit failed: \(error)")
                }
            }
        }
        thread.name = "runclinic-committer"
        thread.start()
    }

    /// Commits everything accepted so far. Called before reads, on shutdown and on signals.
    public func flush() throws {
        try write { state in try state.commit(durable: false) }
    }

    /// Commits what is pending and folds the write-ahead log into the database file, so the
    /// `.db` file alone holds everything once the process is gone (copying it without its `-wal`
    /// would otherwise lose the last commits).
    public func close() {
        stopped.store(true, ordering: .relaxed)
        sharedAlertListener.withLock { $0?.stop() }
        do { try flush() } catch { logger.error("final commit failed: \(error)") }
        guard !location.isPostgreSQL else { return }
        do {
            try writer.withLock { state in _ = try state.connection.scalarText("PRAGMA wal_checkpoint(TRUNCATE)") }
        } catch {
            logger.error("final checkpoint failed: \(error)")
        }
    }

    // MARK: Access

    /// Called with fire-and-forget points that were accepted but could not be committed (once
    /// each, outside the store's lock, on the thread that found the failure).
    public func onLostWrites(_ handler: @escaping @Sendable ([LostWrites]) -> Void) {
        lossHandler.withLock { $0 = handler }
    }

    func write<T>(_ body: (StoreWriter) throws -> T) throws -> T {
        var losses: [LostWrites] = []
        defer { if !losses.isEmpty { report(losses) } }
        do {
            return try writer.withLock { state in
                defer { if !state.unreportedLosses.isEmpty { losses = state.takeLosses() } }
                state.beginCall()
                do {
                    return try body(state)
                } catch  where state.canRecover(from: error) {
                    // A lost PostgreSQL connection: connect again, write what it held (but what
                    // this call kept, which it writes again), and run this call once more on the
                    // new one.
                    state.forgetCallWrites()
                    try state.recoverConnection(after: error)
                    do {
                        return try body(state)
                    } catch {
                        state.noticeRollback(after: error)
                        throw error
                    }
                } catch {
                    state.noticeRollback(after: error)
                    throw error
                }
            }
        } catch let error as DatabaseError {
            throw EngineError(error)
        }
    }

    private func report(_ losses: [LostWrites]) {
        for lost in losses { logger.error("\(lost.description)") }
        lossHandler.withLock { $0 }?(losses)
    }

    /// Reads see everything written before them: pending deferred writes are committed first.
    func read<T>(_ body: (any DatabaseConnection) throws -> T) throws -> T {
        try flush()
        do {
            return try reader.withLockReplacing { connection in
                do {
                    return try body(connection)
                } catch let error as DatabaseError where error.isConnectionLost {
                    // A PostgreSQL reader whose connection was lost reads again on a new one.
                    connection = try StoreSchema.openReader(location)
                    return try body(connection)
                }
            }
        } catch let error as DatabaseError {
            throw EngineError(error)
        }
    }

    func resolveForReading(_ reference: RunReference, on connection: any DatabaseConnection) throws -> RunRecord {
        let id: Int64
        switch reference {
        case .id(let value): id = value
        case .name(let name, let project): id = try RunQueries.resolve(name: name, project: project, on: connection)
        }
        guard let record = try RunQueries.record(id: id, on: connection) else {
            throw EngineError.unknownRun(reference.description)
        }
        return record
    }
}
