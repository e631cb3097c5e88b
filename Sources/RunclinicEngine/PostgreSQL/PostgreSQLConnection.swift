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
    /// The statements of a query sent by `sendCopy` (a `COPY ... FROM STDIN` among them) whose
    /// results are not all read yet: a result is the next statement's, and errors name it.
    private var queryInFlight: [String] = []
    private var queryAnswered = 0
    private var queryError: DatabaseError?
    /// What was sent ends with a COMMIT whose result is not read yet: its outcome goes to
    /// `heldWrites` when it is (see `sendPipelined`).
    private var commitInFlight = false
    /// A transaction begun but not sent yet: its BEGIN goes with the first statement sent, so that
    /// opening it never waits for the previous transaction's commit (see `beginLazily`).
    private(set) var beginPending = false
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
        // standard_conforming_strings: values written into a statement as literals (see
        // PostgreSQLSyntax.inlined) are quoted for it; it is the default since PostgreSQL 9.1.
        try execute("SET extra_float_digits = 3; SET client_encoding = 'UTF8'; SET standard_conforming_strings = on")
        // Sends queue what the socket cannot take at once rather than wait for the server to read
        // it: a COPY of points is larger than the socket's buffer, and the server reads it only as
        // fast as it inserts, so a blocking send made the writer wait out the insert (the data is
        // pushed on by `sendPending`, and by every wait for a result).
        _ = libpq.p.setnonblocking(handle, 1)
    }

    deinit {
        libpq.p.finish(handle)
    }

    var isInTransaction: Bool {
        if beginPending { return true }
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
        if beginPending && sql == "ROLLBACK" {
            // Nothing of the transaction was sent.
            beginPending = false
            return
        }
        try sendPendingBegin()
        let result = libpq.p.exec(handle, sql)
        defer { libpq.p.clear(result) }
        try check(result, sql: sql)
    }

    func prepare(_ sql: String) throws(DatabaseError) -> any DatabaseStatement {
        PostgreSQLStatement(connection: self, sql: sql)
    }

    private var templates: [String: PostgreSQLSyntax.Template] = [:]

    /// `sql` cut at its placeholders, scanned once per connection.
    func template(for sql: String) -> PostgreSQLSyntax.Template {
        if let known = templates[sql] { return known }
        let template = PostgreSQLSyntax.template(sql)
        templates[sql] = template
        return template
    }

    /// Opens a transaction whose BEGIN is sent with the first statement that follows.
    func beginLazily() {
        beginPending = true
    }

    /// Forgets a transaction begun lazily of which nothing was sent: it has nothing to commit.
    func cancelPendingBegin() {
        beginPending = false
    }

    /// Sends the pending BEGIN on its own, for a statement that cannot carry it (one with parameters).
    func sendPendingBegin() throws(DatabaseError) {
        guard beginPending else { return }
        beginPending = false
        let result = libpq.p.exec(handle, "BEGIN")
        defer { libpq.p.clear(result) }
        try check(result, sql: "BEGIN")
    }

    /// Sends statements that return no rows in one go (libpq's pipeline mode) and returns without
    /// waiting: PostgreSQL runs them while the caller goes on (the server parses the next points
    /// while the database inserts these), and their results are read before anything else runs
    /// here (`finishPipeline`), which throws the first error; the statements after it did not
    /// run (PostgreSQL aborts the transaction there).
    /// `thenRun`: statements without parameters sent after them; when the last is COMMIT, the
    /// commit's outcome is told to `heldWrites` once its result is read.
    func sendPipelined(_ statements: [PostgreSQLStatement], thenRun trailer: [String] = []) throws(DatabaseError) {
        try finishPipeline()
        var statements = statements + trailer.map { PostgreSQLStatement(connection: self, sql: $0) }
        guard !statements.isEmpty else { return }
        if beginPending {
            beginPending = false
            statements.insert(PostgreSQLStatement(connection: self, sql: "BEGIN"), at: 0)
        }
        guard libpq.p.enterPipelineMode(handle) == 1 else { throw failure(sql: statements[0].sql) }
        inFlight = []
        commitInFlight = trailer.last == "COMMIT"
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

    /// Runs `sql` (a `COPY ... FROM STDIN`) with `data` in the format it names, and returns
    /// without waiting for its result, which is read as a pipeline's is (`finishPipeline`).
    /// `thenRun`: statements without parameters that follow the COPY in the same query, run by the
    /// database once it has the data, without another round trip (a COMMIT among them is
    /// reported as `sendPipelined`'s is). The COPY waits only for what was sent before it.
    func sendCopy(_ sql: String, data: [UInt8], thenRun trailer: [String] = []) throws(DatabaseError) {
        try finishPipeline()
        let statements = (beginPending ? ["BEGIN"] : []) + [sql] + trailer
        beginPending = false
        let started = libpq.p.exec(handle, statements.joined(separator: ";\n"))
        defer { libpq.p.clear(started) }
        try check(started, sql: sql)
        let sent = data.withUnsafeBytes { bytes in
            libpq.p.putCopyData(handle, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        }
        guard sent == 1, libpq.p.putCopyEnd(handle, nil) == 1 else { throw failure(sql: sql) }
        // The results before the COPY's were read by exec.
        queryInFlight = Array(statements.drop { $0 != sql })
        queryAnswered = 0
        queryError = nil
        commitInFlight = trailer.last == "COMMIT"
    }

    /// Whether something sent has results not read yet.
    var hasUnreadResults: Bool { pipelining || !queryInFlight.isEmpty }
    var hasUnreadPipeline: Bool { pipelining }

    /// Reads the results that have arrived of what `sendCopy` sent, without waiting: true once
    /// nothing sent is left unread (its outcome then handled, and thrown, as `finishPipeline`'s).
    /// A pipeline is read whole by `finishPipeline`, so one in flight answers false.
    func readArrivedResults() throws(DatabaseError) -> Bool {
        guard hasUnreadResults else { return true }
        guard !pipelining else { return false }
        // Data still queued here has not reached the database, which cannot have answered it.
        if libpq.p.flush(handle) != 0 { return false }
        guard libpq.p.consumeInput(handle) == 1 else {
            try finishPipeline()  // the connection failed: this throws
            return true
        }
        while libpq.p.isBusy(handle) == 0 {
            guard let result = libpq.p.getResult(handle) else {
                try finishPipeline()
                return true
            }
            absorbQueryResult(result)
        }
        return false
    }

    private func absorbQueryResult(_ result: OpaquePointer) {
        defer { libpq.p.clear(result) }
        guard queryError == nil, queryAnswered < queryInFlight.count else { return }
        do {
            try check(result, sql: queryInFlight[queryAnswered])
            queryAnswered += 1
        } catch {
            queryError = error
        }
    }

    /// Pushes queued data to the server as far as its socket takes it now, without waiting.
    func sendPending() {
        _ = libpq.p.flush(handle)
    }

    /// Reads the results of what `sendPipelined` or `sendCopy` sent, waiting for those still to
    /// come (and leaves pipeline mode); a sent commit's outcome goes to `heldWrites`.
    func finishPipeline() throws(DatabaseError) {
        let committed = commitInFlight
        commitInFlight = false
        do {
            try readSentResults()
        } catch {
            lastFailure = error
            if committed {
                // The transaction is over either way: a failed one is rolled back here, as nothing
                // of the next was sent yet.
                if libpq.p.transactionStatus(handle) == PQTRANS_INERROR {
                    libpq.p.clear(libpq.p.exec(handle, "ROLLBACK"))
                }
                heldWrites?.sentCommitFailed(error)
            }
            throw error
        }
        if committed { heldWrites?.sentCommitSucceeded() }
    }

    /// Every statement sent must answer: one whose result never came (the connection went away)
    /// fails, and one that did is done, though the connection be lost after it (a commit whose
    /// result was read is not written again).
    private func readSentResults() throws(DatabaseError) {
        if !queryInFlight.isEmpty {
            while let result = libpq.p.getResult(handle) { absorbQueryResult(result) }
            let statements = queryInFlight
            queryInFlight = []
            // The statements after a failed one do not run, and have no result.
            if let queryError { throw queryError }
            if queryAnswered < statements.count { throw failure(sql: statements[queryAnswered]) }
        }
        guard pipelining else { return }
        pipelining = false
        var firstError = sendFailure
        sendFailure = nil
        for sql in inFlight {
            var answered = false
            while let result = libpq.p.getResult(handle) {
                answered = true
                if firstError == nil && libpq.p.resultStatus(result) != PGRES_PIPELINE_ABORTED {
                    do { try check(result, sql: sql) } catch { firstError = error }
                }
                libpq.p.clear(result)
            }
            if !answered && firstError == nil { firstError = failure(sql: sql) }
        }
        // The synchronisation point's own result ends the pipeline.
        while let result = libpq.p.getResult(handle) {
            let status = libpq.p.resultStatus(result)
            libpq.p.clear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        _ = libpq.p.exitPipelineMode(handle)
        inFlight = []
        if let firstError { throw firstError }
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
