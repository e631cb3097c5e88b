import CLibPQ
import Foundation

/// One connection to a PostgreSQL database through libpq. Not thread-safe by itself: the store
/// keeps each connection behind a lock. Statements are sent with their parameters in one round
/// trip (PQexecParams), values as text: PostgreSQL writes doubles in their shortest exact form,
/// so NaN, ±Infinity and -0.0 come back as they went in.
final class PostgreSQLConnection: DatabaseConnection {
    let dialect = SQLDialect.postgresql
    let libpq: LibPQ
    let handle: OpaquePointer
    /// The connection string with its password removed: what logs and errors may show.
    let redactedTarget: String
    weak var heldWrites: (any HeldWrites)?
    var holdsWrites = false
    /// Statements sent by `sendPipelined` whose results are not read yet.
    private var pipelining = false
    private var inFlight: [String] = []
    private var sendFailure: DatabaseError?
    /// A `COPY ... FROM STDIN` sent by `sendCopy` whose result is not read yet.
    private var copyInFlight: String?
    /// The last error `finishPipeline` threw: what failed the open transaction (PostgreSQL then
    /// refuses everything but a rollback), for the writer to tell a conflict from a loss.
    private(set) var lastFailure: DatabaseError?

    func forgetLastFailure() { lastFailure = nil }

    init(connectionString: String) throws(DatabaseError) {
        libpq = try LibPQ.load()
        redactedTarget = ConnectionString.redacted(connectionString)
        guard let handle = libpq.p.connectdb(connectionString) else {
            throw DatabaseError(sqlState: "08001", message: "cannot connect to \(redactedTarget)", sql: nil)
        }
        self.handle = handle
        guard libpq.p.status(handle) == CONNECTION_OK else {
            // deinit finishes the handle (it runs once every property is set, thrown or not).
            let message = Self.trimmed(libpq.p.errorMessage(handle))
            throw DatabaseError(
                sqlState: "08001",
                message:
                    "cannot connect to \(redactedTarget): \(ConnectionString.scrub(message, of: connectionString))",
                sql: nil)
        }
        _ = libpq.p.setNoticeProcessor(handle, rc_libpq_ignore_notice, nil)
        // Servers before 12 print doubles with 15 digits unless asked for all of them.
        try execute("SET extra_float_digits = 3; SET client_encoding = 'UTF8'")
    }

    deinit {
        libpq.p.finish(handle)
    }

    var isInTransaction: Bool {
        let status = libpq.p.transactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    var transactionFailed: Bool { libpq.p.transactionStatus(handle) == PQTRANS_INERROR }

    var isConnected: Bool { libpq.p.status(handle) == CONNECTION_OK }

    /// The socket libpq reads, for waiting on notifications.
    var socket: Int32 { libpq.p.socket(handle) }

    func execute(_ sql: String) throws(DatabaseError) {
        if holdsWrites { try writeHeld() }
        try finishPipeline()
        let result = libpq.p.exec(handle, sql)
        defer { libpq.p.clear(result) }
        try check(result, sql: sql)
    }

    func prepare(_ sql: String) throws(DatabaseError) -> any DatabaseStatement {
        PostgreSQLStatement(connection: self, sql: sql)
    }

    /// Sends statements that return no rows in one go (libpq's pipeline mode) and returns without
    /// waiting: PostgreSQL runs them while the caller goes on (the server parses the next points
    /// while the database inserts these), and their results are read before anything else runs
    /// here (`finishPipeline`), which throws the first error; the statements after it did not
    /// run (PostgreSQL aborts the transaction there).
    func sendPipelined(_ statements: [PostgreSQLStatement]) throws(DatabaseError) {
        try finishPipeline()
        guard !statements.isEmpty else { return }
        guard libpq.p.enterPipelineMode(handle) == 1 else { throw failure(sql: statements[0].sql) }
        inFlight = []
        for statement in statements {
            do {
                try statement.sendQueued()
                inFlight.append(statement.sql)
            } catch {
                sendFailure = error
                break
            }
        }
        if libpq.p.pipelineSync(handle) != 1, sendFailure == nil { sendFailure = failure(sql: statements[0].sql) }
        pipelining = true
    }

    /// Runs `sql` (a `COPY ... FROM STDIN`) with `data` in COPY's text format, and returns
    /// without waiting for its result, which is read as a pipeline's is (`finishPipeline`).
    func sendCopy(_ sql: String, data: [UInt8]) throws(DatabaseError) {
        try finishPipeline()
        let started = libpq.p.exec(handle, sql)
        defer { libpq.p.clear(started) }
        try check(started, sql: sql)
        let sent = data.withUnsafeBytes { bytes in
            libpq.p.putCopyData(handle, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        }
        guard sent == 1, libpq.p.putCopyEnd(handle, nil) == 1 else { throw failure(sql: sql) }
        copyInFlight = sql
    }

    /// Reads the results of what `sendPipelined` or `sendCopy` sent (leaving pipeline mode).
    func finishPipeline() throws(DatabaseError) {
        if let sql = copyInFlight {
            copyInFlight = nil
            var firstError: DatabaseError?
            while let result = libpq.p.getResult(handle) {
                if firstError == nil {
                    do { try check(result, sql: sql) } catch { firstError = error }
                }
                libpq.p.clear(result)
            }
            if let firstError {
                lastFailure = firstError
                throw firstError
            }
        }
        guard pipelining else { return }
        pipelining = false
        var firstError = sendFailure
        sendFailure = nil
        for sql in inFlight {
            while let result = libpq.p.getResult(handle) {
                if firstError == nil && libpq.p.resultStatus(result) != PGRES_PIPELINE_ABORTED {
                    do { try check(result, sql: sql) } catch { firstError = error }
                }
                libpq.p.clear(result)
            }
        }
        // The synchronisation point's own result ends the pipeline.
        while let result = libpq.p.getResult(handle) {
            let status = libpq.p.resultStatus(result)
            libpq.p.clear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        _ = libpq.p.exitPipelineMode(handle)
        let sql = inFlight.first
        inFlight = []
        if let firstError {
            lastFailure = firstError
            throw firstError
        }
        if !isConnected { throw failure(sql: sql) }
    }

    /// Throws unless `result` is a success.
    func check(_ result: OpaquePointer?, sql: String) throws(DatabaseError) {
        guard let result else { throw failure(sql: sql) }
        let status = libpq.p.resultStatus(result)
        guard status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_COPY_IN else { return }
        let sqlState = libpq.p.resultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let primary = libpq.p.resultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
        let message = primary ?? Self.trimmed(libpq.p.resultErrorMessage(result))
        // A result with no SQLSTATE is libpq's own: the server went away mid-statement.
        let state = sqlState ?? (isConnected ? nil : "08006")
        throw DatabaseError(sqlState: state, message: message.isEmpty ? "statement failed" : message, sql: sql)
    }

    /// The error of a call that returned no result (out of memory, or the connection is gone).
    func failure(sql: String?) -> DatabaseError {
        let message = Self.trimmed(libpq.p.errorMessage(handle))
        return DatabaseError(
            sqlState: isConnected ? nil : "08006", message: message.isEmpty ? "connection lost" : message, sql: sql)
    }

    static func trimmed(_ text: UnsafePointer<CChar>?) -> String {
        text.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    }
}
