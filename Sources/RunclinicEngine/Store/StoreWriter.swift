import RunclinicJSON

/// The write side of the store: one connection, its prepared statements, the caches that keep
/// logging free of queries, and the open group-commit transaction. Used only under the store's lock.
final class StoreWriter: HeldWrites {
    var connection: any DatabaseConnection
    /// Points accepted but not yet inserted: steps are inserted many to a statement (a statement's
    /// fixed cost was a third of logging's), always before the next statement on the connection.
    var heldPoints: [HeldPoint] = []
    /// PostgreSQL only: rows to write with the held points (see writeRow).
    var heldRows: [TransactionReplay.Write] = []
    private static let heldPointsLimit = 256
    /// PostgreSQL takes held points in one statement of arrays, whose fixed cost (a round trip,
    /// parsing, planning) is what limits logging: it gets larger ones.
    private let heldPointsBeforeWriting: Int
    var transactionOpenedAt: Double?
    /// PostgreSQL only: what the open transaction holds of points and batches, written again on a
    /// new connection if this one is lost before its commit (see StoreWriter+Reconnect).
    var replay = TransactionReplay()
    /// Set when a lost connection did not come back within the deadline (StoreWriter+Reconnect).
    var connectionStayedAway = false
    /// Points held since queued data was last pushed on to the database (see `hold`).
    private var pointsSinceSend = 0
    /// Set once a COPY of points met a row another writer wrote: upserts only from then on.
    var copyDisabled = false
    /// Fire-and-forget points in the open transaction, by run: lost if its commit fails.
    var deferredPoints: [Int64: LostWrites] = [:]
    /// PostgreSQL only: a group commit sent without waiting for its result, and what it held,
    /// until the result is read (StoreWriter+PostgreSQLCommit).
    var sentCommit = TransactionReplay()
    var sentDeferredPoints: [Int64: LostWrites] = [:]
    var commitSentAt: Double?
    /// Where the current call's kept writes begin, and the fire-and-forget points it noted.
    private var callMark = TransactionReplay.Mark()
    private var callDeferred: [(run: Int64, points: Int)] = []
    /// Losses not yet reported (RunStore hands them to its loss handler outside the lock).
    var unreportedLosses: [LostWrites] = []

    private var keyIDs: [String: Int64] = [:]
    private var runs: [Int64: RunCache] = [:]
    private var runIDsByName: [String: Int64] = [:]

    /// Prepared once per connection and reused.
    var statements: [String: any DatabaseStatement] = [:]
    var insertPointsStatements: [Int: any DatabaseStatement] = [:]
    var heldPointsStatements: [Int: any DatabaseStatement] = [:]

    let location: StoreLocation

    let sync: DiskSync

    init(connection: any DatabaseConnection, location: StoreLocation, sync: DiskSync) {
        self.connection = connection
        self.location = location
        self.sync = sync
        replay.isKept = location.isPostgreSQL
        heldPointsBeforeWriting = location.isPostgreSQL ? 8192 : Self.heldPointsLimit
        connection.heldWrites = self
    }

    func statement(_ sql: String) throws(DatabaseError) -> any DatabaseStatement {
        if let prepared = statements[sql] { return prepared }
        let prepared = try connection.prepare(sql)
        statements[sql] = prepared
        return prepared
    }

    /// An insert into a table other than the points', which need not wait for the held points:
    /// both are in the same transaction, and every read writes them first.
    func insertStatement(_ sql: String) throws(DatabaseError) -> any DatabaseStatement {
        let prepared = try statement(sql)
        prepared.ignoresHeldWrites = true
        return prepared
    }

    // MARK: Transactions

    /// Opens the group-commit transaction if none is open. BEGIN IMMEDIATE takes the write lock
    /// now, waiting out another process's commit window rather than failing later.
    func beginIfNeeded() throws(DatabaseError) {
        guard transactionOpenedAt == nil else { return }
        if let connection = connection as? PostgreSQLConnection {
            connection.beginLazily()
            connection.forgetLastFailure()
        } else {
            try statement("BEGIN IMMEDIATE").run()
        }
        transactionOpenedAt = WallClock.now()
    }

    /// `durable: false`, for a group commit of fire-and-forget writes (the window's, or before a
    /// read): on PostgreSQL it does not wait for the server to flush its log (see
    /// StoreWriter+PostgreSQLCommit). `waits: false` (PostgreSQL): the commit is sent with the held
    /// writes and its result read later, while the next points are parsed.
    func commit(durable: Bool = true, waits: Bool = true) throws(DatabaseError) {
        if let connection = connection as? PostgreSQLConnection {
            return try commitToPostgreSQL(connection, durable: durable, waits: waits)
        }
        guard transactionOpenedAt != nil else { return }
        transactionOpenedAt = nil
        do throws(DatabaseError) {
            try statement("COMMIT").run()
            deferredPoints.removeAll(keepingCapacity: true)
        } catch {
            if connection.isInTransaction { try? connection.execute("ROLLBACK") }
            loseTransaction(error.description)
            throw error
        }
    }

    /// The transaction is gone: its fire-and-forget points are reported lost, and the caches,
    /// which may name keys and steps it held, are read again from the store.
    func loseTransaction(_ reason: String) {
        for var lost in deferredPoints.values {
            lost.reason = reason
            unreportedLosses.append(lost)
        }
        deferredPoints.removeAll()
        replay.clear()
        heldRows.removeAll()
        keyIDs.removeAll()
        runs.removeAll()
        runIDsByName.removeAll()
    }

    /// After a failed statement: SQLite rolls a whole transaction back on some errors (a full
    /// disk); if it did, what the transaction held is lost, and the next write opens a new one.
    func noticeRollback(after error: any Error) {
        if canRecover(from: error) { return }
        // PostgreSQL keeps a failed transaction open until it is rolled back.
        if transactionOpenedAt != nil, connection.transactionFailed { try? connection.execute("ROLLBACK") }
        guard transactionOpenedAt != nil, !connection.isInTransaction else { return }
        transactionOpenedAt = nil
        loseTransaction("\(error)")
    }

    /// Notes fire-and-forget points just written into the open transaction.
    func noteDeferred(run: Int64, points: Int, step: Int64) {
        deferredPoints[run, default: LostWrites(runID: run, points: 0, step: step)].add(points: points, step: step)
        if replay.isKept { callDeferred.append((run, points)) }  // only a kept replay is written again
    }

    /// A call to the store begins: what it keeps from here on is its own (see `forgetCallWrites`).
    func beginCall() {
        callMark = replay.end
        callDeferred.removeAll(keepingCapacity: true)
    }

    /// The call failed in a way the writer recovers from, and will run again on the new
    /// connection: what it kept is forgotten, so that it is written once, by the second run.
    func forgetCallWrites() {
        replay.forget(since: callMark)
        for (run, points) in callDeferred { deferredPoints[run]?.points -= points }
        callDeferred.removeAll()
    }

    func takeLosses() -> [LostWrites] {
        defer { unreportedLosses.removeAll() }
        return unreportedLosses
    }

    /// Commits when the open transaction has been open at least `age` seconds.
    ///
    /// On PostgreSQL, a group commit whose database is still busy with the last one waits, and
    /// grows, rather than the writer (and the trainer behind it) waiting on the database: the
    /// database then takes larger transactions, as fast as it can. A commit unanswered after
    /// several windows is waited for, which bounds how far the database may fall behind.
    func commit(ifOlderThan age: Double) throws(DatabaseError) {
        if let sentAt = commitSentAt, let connection = connection as? PostgreSQLConnection,
            try !connection.readArrivedResults()
        {
            let patience = connection.hasUnreadPipeline ? age : 4 * age
            guard WallClock.now() - sentAt >= patience else { return }
            try connection.finishPipeline()
        }
        guard let openedAt = transactionOpenedAt, WallClock.now() - openedAt >= age else { return }
        try commit(durable: false, waits: false)
    }

    func finish(_ durability: Durability, window: Double) throws(DatabaseError) {
        switch durability {
        case .acknowledged: try commit()
        case .deferred:
            // A failed group commit loses every fire-and-forget point in it, this call's among them:
            // they are reported together as lost writes, not as this call's failure.
            do {
                try commit(ifOlderThan: window)
            } catch {
                guard unreportedLosses.isEmpty else { return }
                throw error
            }
        }
    }

    /// Runs `body` inside the group transaction and commits right after: for rare writes that
    /// must be durable at once (runs, checkpoints). A savepoint undoes a failed body alone,
    /// keeping the fire-and-forget points other callers have in the same transaction.
    func writeNow<T>(_ body: () throws -> T) throws -> T {
        try beginIfNeeded()
        try statement("SAVEPOINT write_now").run()
        do {
            let result = try body()
            try statement("RELEASE write_now").run()
            try commit()
            return result
        } catch {
            try? statement("ROLLBACK TO write_now").run()
            try? statement("RELEASE write_now").run()
            try? commit()
            throw error
        }
    }

    /// Runs `body` again (up to three times) when it broke a unique constraint that another
    /// writer's concurrent insert took first: the second run sees that row.
    func retryingUniqueConflicts<T>(_ body: () throws -> T) throws -> T {
        var attempts = 0
        while true {
            do {
                return try body()
            } catch let error as DatabaseError where error.sqlState == "23505" && attempts < 3 {
                attempts += 1
            }
        }
    }

    // MARK: Runs

    func resolveRunID(_ reference: RunReference) throws -> Int64 {
        switch reference {
        case .id(let id):
            if runs[id] != nil { return id }
            let query = try connection.prepare("SELECT 1 FROM runs WHERE id = ?")
            query.bind(id, at: 1)
            guard try query.step() else { throw EngineError.unknownRun("\(id)") }
            return id
        case .name(let name, let project):
            let cacheKey = (project ?? "") + "\u{0}" + name
            if let id = runIDsByName[cacheKey] { return id }
            let id = try RunQueries.resolve(name: name, project: project, on: connection)
            runIDsByName[cacheKey] = id
            return id
        }
    }

    func cachedRun(_ id: Int64) throws -> RunCache {
        if let cache = runs[id] { return cache }
        guard let record = try RunQueries.record(id: id, on: connection) else {
            throw EngineError.unknownRun("\(id)")
        }
        let progress = try connection.prepare("SELECT attempt, rewind_to_step FROM runs WHERE id = ?")
        progress.bind(id, at: 1)
        _ = try progress.step()
        let attempt = progress.int64(at: 0)
        let rewindToStep = progress.optionalInt64(at: 1)
        let query = try connection.prepare(
            "SELECT key_id, MAX(step) FROM metric_points WHERE run_id = ? AND attempt = ? GROUP BY key_id")
        query.bind(id, at: 1)
        query.bind(attempt, at: 2)
        var lastSteps: [Int64: Int64] = [:]
        while try query.step() { lastSteps[query.int64(at: 0)] = query.int64(at: 1) }
        let cache = RunCache(record: record, lastStepByKey: lastSteps, attempt: attempt, rewindToStep: rewindToStep)
        runs[id] = cache
        return cache
    }

    func runForWriting(_ reference: RunReference) throws -> RunCache {
        let cache = try cachedRun(try resolveRunID(reference))
        guard cache.record.status == .running else {
            throw EngineError.runNotRunning(run: cache.record.name, status: cache.record.status)
        }
        return cache
    }

    func forgetRun(_ id: Int64) {
        runs[id] = nil
        runIDsByName = runIDsByName.filter { $0.value != id }
    }

    // MARK: Metrics

    func keyID(for name: String) throws(DatabaseError) -> Int64 {
        if let id = keyIDs[name] { return id }
        // Metric names are shared by every trainer: on PostgreSQL a new one is committed at once on
        // a connection of its own, so no trainer's open transaction waits on another's new names
        // (two adding names in opposite orders would deadlock).
        let keyConnection = try namesConnection()
        let insert = try keyConnection.prepare(
            "INSERT INTO metric_keys (name) VALUES (?) ON CONFLICT (name) DO NOTHING")
        insert.bind(name, at: 1)
        try insert.run()
        let select = try keyConnection.prepare("SELECT id FROM metric_keys WHERE name = ?")
        select.bind(name, at: 1)
        _ = try select.step()
        let id = select.int64(at: 0)
        keyIDs[name] = id
        return id
    }

    var autocommitConnection: (any DatabaseConnection)?

    /// The connection new metric names are written on: the writer's own for SQLite (one writer
    /// per file at a time), an autocommitting one for PostgreSQL.
    private func namesConnection() throws(DatabaseError) -> any DatabaseConnection {
        guard case .postgresql = location else { return connection }
        if let autocommitConnection { return autocommitConnection }
        let opened = try StoreSchema.openReader(location)  // on PostgreSQL, a plain autocommitting connection
        autocommitConnection = opened
        return opened
    }

    func insertPoints(run: RunCache, step: Int64, metrics: [MetricValue], time: Double) throws {
        // The same metrics as the last call, at a later step: their keys are known and nothing
        // goes backwards.
        if let last = run.lastCall, step >= last.step, last.names.count == metrics.count,
            zip(last.names, metrics).allSatisfy({ $0 == $1.name })
        {
            try beginIfNeeded()
            try hold(metrics, ids: last.ids, run: run, step: step, time: time, fresh: step > last.step)
            run.lastCall = (last.names, last.ids, step)
            return
        }
        run.settleLastCall()
        // Check every metric before writing any, so a refused call writes nothing.
        var ids: [Int64] = []
        ids.reserveCapacity(metrics.count)
        var rewinds = false
        for metric in metrics {
            let id = try keyID(for: metric.name)
            if let last = run.lastStepByKey[id], step < last {
                guard let rewindTo = run.rewindToStep, step >= rewindTo else {
                    throw EngineError.stepWentBackwards(
                        run: run.record.name, metric: metric.name, step: step, lastStep: last)
                }
                rewinds = true
            }
            ids.append(id)
        }
        try beginIfNeeded()
        if rewinds { try startNextAttempt(run) }
        let fresh = ids.allSatisfy { (run.lastStepByKey[$0] ?? Int64.min) < step }
        let runID = run.record.id
        for keyID in ids where run.lastStepByKey.updateValue(step, forKey: keyID) == nil {
            try writeKept(
                "INSERT INTO run_metric_keys (run_id, key_id, first_step) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [.integer(runID), .integer(keyID), .integer(step)], afterHeldPoints: true)
        }
        try hold(metrics, ids: ids, run: run, step: step, time: time, fresh: fresh)
        run.lastCall = (metrics.map(\.name), ids, step)
    }

    private func hold(
        _ metrics: [MetricValue], ids: [Int64], run: RunCache, step: Int64, time: Double, fresh: Bool
    ) throws(DatabaseError) {
        for (index, metric) in metrics.enumerated() {
            let point = HeldPoint(
                runID: run.record.id, keyID: ids[index], step: step, value: metric.value, time: time,
                attempt: run.attempt, fresh: fresh)
            heldPoints.append(point)
            if replay.isKept { replay.keep(point) }
        }
        connection.holdsWrites = true
        pointsSinceSend += metrics.count
        if heldPoints.count >= heldPointsBeforeWriting, try databaseTakesMore() {
            try connection.writeHeld()
        } else if pointsSinceSend >= 64 {
            pointsSinceSend = 0
            connection.sendPending()
        }
        if step > run.lastStep ?? Int64.min { run.lastStep = step }
    }

    /// Whether held points can be sent now: on PostgreSQL, not while the database is still busy
    /// with what was sent before (asked every 64 points), unless eight times as many are held.
    private func databaseTakesMore() throws(DatabaseError) -> Bool {
        guard let connection = connection as? PostgreSQLConnection, connection.hasUnreadResults,
            heldPoints.count < 8 * heldPointsBeforeWriting
        else { return true }
        guard pointsSinceSend >= 64 else { return false }
        pointsSinceSend = 0
        return try connection.readArrivedResults()
    }

    /// Inserts the held points, in statements of 256, 128, ... 1 rows (few statements to prepare).
    /// A failure rolls the open transaction back: its fire-and-forget points are reported lost
    /// and the caller whose statement needed them fails.
    func writeHeld() throws(DatabaseError) {
        guard !heldPoints.isEmpty || !heldRows.isEmpty else { return }
        defer {
            heldPoints.removeAll(keepingCapacity: true)
            heldRows.removeAll(keepingCapacity: true)
        }
        var start = 0
        do {
            if connection.dialect == .postgresql {
                try writeHeldToPostgreSQL()
                start = heldPoints.count
            }
            while start < heldPoints.count {
                var count = Self.heldPointsLimit
                while count > heldPoints.count - start { count /= 2 }
                let insert = try heldPointsStatement(count: count)
                HeldPoint.bind(heldPoints[start..<(start + count)], to: insert)
                try insert.run()
                start += count
            }
        } catch {
            if connection.isInTransaction { try? connection.execute("ROLLBACK") }
            noticeRollback(after: error)
            throw error
        }
    }

    /// One statement per count of points, so many points go in with one sqlite3_step.
    func insertPointsStatement(count: Int) throws(DatabaseError) -> any DatabaseStatement {
        if let prepared = insertPointsStatements[count] { return prepared }
        let prepared = try connection.prepare(Self.insertPointsSQL(count: count))
        insertPointsStatements[count] = prepared
        return prepared
    }

    /// The held points' own statements: a caller may hold one of `insertPointsStatements` bound
    /// while its step writes the held points first.
    private func heldPointsStatement(count: Int) throws(DatabaseError) -> any DatabaseStatement {
        if let prepared = heldPointsStatements[count] { return prepared }
        let prepared = try connection.prepare(Self.insertPointsSQL(count: count))
        heldPointsStatements[count] = prepared
        return prepared
    }

    private static func insertPointsSQL(count: Int) -> String {
        let rows = Array(repeating: "(?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", ")
        return """
            INSERT INTO metric_points (run_id, key_id, step, value, time, attempt) VALUES \(rows)
            ON CONFLICT (run_id, attempt, step, key_id) DO UPDATE SET value = excluded.value, time = excluded.time
            """
    }

    /// The trainer rolled back: its replayed steps go under the next attempt.
    private func startNextAttempt(_ run: RunCache) throws {
        run.attempt += 1
        run.rewindToStep = nil
        run.lastStepByKey = [:]
        run.lastCall = nil
        run.lastStep = nil
        try writeKept(
            "UPDATE runs SET attempt = ?, rewind_to_step = NULL WHERE id = ?",
            [.integer(run.attempt), .integer(run.record.id)],
            afterHeldPoints: true)
    }

    /// After a rollback is advised, accept steps going back to `step` once.
    func expectRewind(_ run: RunCache, toStep step: Int64) throws {
        run.rewindToStep = step
        try writeKept(
            "UPDATE runs SET rewind_to_step = ? WHERE id = ?", [.integer(step), .integer(run.record.id)],
            afterHeldPoints: true)
    }

    func insertBatch(
        run: RunCache, step: Int64, batch: Int64, phase: String, metrics: [MetricValue], samples: [String], time: Double
    ) throws {
        try beginIfNeeded()
        // A rolled-back trainer that validates before logging anything else starts its attempt here.
        if let rewindTo = run.rewindToStep, let last = run.lastStep, step < last, step >= rewindTo {
            try startNextAttempt(run)
        }
        try writeKept(
            "INSERT INTO batches (run_id, step, batch, phase, metrics, samples, time, attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                .integer(run.record.id), .integer(step), .integer(batch), .text(phase),
                .text(MetricValue.jsonText(metrics)), .text(JSONWriter.string(JSONValue(samples))), .real(time),
                .integer(run.attempt),
            ])
    }

    /// Writes one row of the trainers' data in the open transaction (an insert, or a run's
    /// progress); on PostgreSQL it is also kept, to be written again should the connection be lost
    /// before the commit. `afterHeldPoints`: the held points go in first (the statement reads them).
    func writeKept(_ sql: String, _ values: [DatabaseValue], afterHeldPoints: Bool = false) throws(DatabaseError) {
        let write = TransactionReplay.Write(sql: sql, values: values)
        if replay.isKept { replay.keep(write) }
        try writeRow(write, afterHeldPoints: afterHeldPoints)
    }

    /// A row written in the open transaction. PostgreSQL holds it, to go with the held points in
    /// one round trip (each statement of its own would cost one: they were half of logging's time
    /// on a run that raised alerts); SQLite writes it at once.
    func writeRow(_ write: TransactionReplay.Write, afterHeldPoints: Bool = false) throws(DatabaseError) {
        if connection.dialect == .postgresql {
            heldRows.append(write)
            connection.holdsWrites = true
            return
        }
        let prepared = afterHeldPoints ? try statement(write.sql) : try insertStatement(write.sql)
        for (index, value) in write.values.enumerated() { value.bind(to: prepared, at: Int32(index + 1)) }
        try prepared.run()
    }
}
