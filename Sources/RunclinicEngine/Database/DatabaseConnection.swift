/// One connection to the store's database, SQLite or PostgreSQL. Not thread-safe by itself: the
/// store keeps each connection behind a lock.
protocol DatabaseConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Writes an owner holds back to send many rows in one statement. They go in before any other
    /// statement runs here, so every statement (a commit, a read, an update) sees them in order.
    var heldWrites: (any HeldWrites)? { get set }
    /// Set by the owner while it holds rows: one test per statement.
    var holdsWrites: Bool { get set }
    /// True inside a transaction, a failed one included (it still needs its ROLLBACK).
    var isInTransaction: Bool { get }
    /// True when the open transaction failed and can only be rolled back (PostgreSQL aborts a
    /// transaction at its first error; SQLite never does this).
    var transactionFailed: Bool { get }

    /// Runs one or more statements that take no parameters.
    func execute(_ sql: String) throws(DatabaseError)
    func prepare(_ sql: String) throws(DatabaseError) -> any DatabaseStatement
    /// Pushes data already sent but still queued in the client on to the server, without waiting.
    func sendPending()
}

extension DatabaseConnection {
    /// SQLite has no server to send to.
    func sendPending() {}

    /// Writes the held rows now (once: the flag is cleared first, so their own statements run plainly).
    func writeHeld() throws(DatabaseError) {
        holdsWrites = false
        try heldWrites?.writeHeld()
    }

    /// Runs a query and returns the first column of the first row as text.
    func scalarText(_ sql: String) throws(DatabaseError) -> String? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.text(at: 0)
    }
}
