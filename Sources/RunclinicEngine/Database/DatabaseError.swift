/// A failed database call: the engine's code (SQLite's result code; for PostgreSQL its SQLSTATE),
/// the database's message, and the SQL it was running.
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    /// PostgreSQL's five-character SQLSTATE ("23505" unique violation); nil for SQLite.
    public let sqlState: String?
    public let message: String
    public let sql: String?

    init(code: Int32, message: String, sql: String?) {
        self.code = code
        self.sqlState = nil
        self.message = message
        self.sql = sql
    }

    init(sqlState: String?, message: String, sql: String?) {
        self.code = 0
        self.sqlState = sqlState
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = sqlState.map { "PostgreSQL error \($0): \(message)" } ?? "SQLite error \(code): \(message)"
        if let sql { text += " (while running: \(sql))" }
        return text
    }

    /// The connection to the database is gone: PostgreSQL's class 08, libpq lost the socket, or
    /// the server ended the session (57P01-57P03: shut down, crashed, restarting).
    public var isConnectionLost: Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || sqlState.hasPrefix("57P")
    }
}
