/// Commits on PostgreSQL. A group commit of fire-and-forget writes is sent with the held writes,
/// in the same round trip, and its result is read only before the next statement (or by the
/// committer a window later): the database inserts and commits while the writer parses the next
/// points. Until then what it held is kept (`sentCommit`), to be written again should it fail in
/// a way the writer recovers from, or reported lost should it fail otherwise.
extension StoreWriter {
    func commitToPostgreSQL(_ connection: PostgreSQLConnection, durable: Bool, waits: Bool) throws(DatabaseError) {
        if transactionOpenedAt != nil {
            transactionOpenedAt = nil
            do throws(DatabaseError) {
                // PostgreSQL answers COMMIT of a failed transaction with a quiet ROLLBACK: caught
                // here, what the transaction held is reported lost rather than dropped unsaid.
                if connection.transactionFailed {
                    throw connection.lastFailure
                        ?? DatabaseError(
                            sqlState: "25P02", message: "the transaction failed before its commit", sql: "COMMIT")
                }
                if connection.beginPending && heldPoints.isEmpty && heldRows.isEmpty {
                    connection.cancelPendingBegin()  // nothing was written
                } else {
                    // Like SQLite's synchronous=NORMAL, a group commit that does not wait for the
                    // server's log flush survives a killed runclinic; a crash of the database server
                    // may lose its last fraction of a second. Acknowledged writes, and
                    // `--durability full`, wait for it.
                    let flushesLog = durable || sync == .full
                    connection.holdsWrites = false
                    defer {
                        heldPoints.removeAll(keepingCapacity: true)
                        heldRows.removeAll(keepingCapacity: true)
                    }
                    try writeHeldToPostgreSQL(
                        thenRun: (flushesLog ? [] : ["SET LOCAL synchronous_commit = off"]) + ["COMMIT"])
                    sentCommit = replay
                    sentDeferredPoints = deferredPoints
                    commitSentAt = WallClock.now()
                    replay.clear()
                    deferredPoints.removeAll(keepingCapacity: true)
                }
            } catch {
                // A lost connection, or a COPY's conflict: the transaction is written again.
                if canRecover(from: error) { throw error }
                if connection.isInTransaction { try? connection.execute("ROLLBACK") }
                loseTransaction(error.description)
                throw error
            }
        }
        if waits { try connection.finishPipeline() }
    }

    func sentCommitSucceeded() {
        sentCommit.clear()
        sentDeferredPoints.removeAll(keepingCapacity: true)
        commitSentAt = nil
    }

    /// A lost connection or a conflict: what the commit held joins the open transaction, to be
    /// written again with it. Any other failure: its fire-and-forget points are reported lost.
    func sentCommitFailed(_ error: DatabaseError) {
        if canRecover(from: error) {
            replay.prepend(sentCommit)
            for (run, lost) in sentDeferredPoints {
                deferredPoints[run, default: LostWrites(runID: run, points: 0, step: lost.firstStep)].add(lost)
            }
        } else {
            for var lost in sentDeferredPoints.values {
                lost.reason = error.description
                unreportedLosses.append(lost)
            }
        }
        sentCommit.clear()
        sentDeferredPoints.removeAll()
        commitSentAt = nil
    }
}
