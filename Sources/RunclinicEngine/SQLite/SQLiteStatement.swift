import CSQLite

/// A prepared statement, reused across calls: bind, step, read columns, reset.
final class SQLiteStatement {
    private let handle: OpaquePointer
    private unowned let connection: SQLiteConnection
    let sql: String
    /// Set for inserts that no held row can affect (their own tables, the same transaction): they
    /// run without writing the connection's held rows first.
    var ignoresHeldWrites = false

    /// SQLITE_TRANSIENT is a macro Swift does not import.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(handle: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Starts a new execution: clears the previous bindings and rewinds.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ value: Int64, at index: Int32) { sqlite3_bind_int64(handle, index, value) }
    func bind(_ value: Int, at index: Int32) { sqlite3_bind_int64(handle, index, Int64(value)) }
    func bindNull(at index: Int32) { sqlite3_bind_null(handle, index) }

    /// NaN cannot be stored in SQLite (it reads back as NULL), so NaN binds as NULL explicitly:
    /// every column that takes a NaN documents "NULL means NaN".
    func bind(_ value: Double, at index: Int32) {
        if value.isNaN { sqlite3_bind_null(handle, index) } else { sqlite3_bind_double(handle, index, value) }
    }

    func bind(_ value: String, at index: Int32) {
        sqlite3_bind_text(handle, index, value, -1, Self.transient)
    }

    func bind(_ value: [UInt8]?, at index: Int32) {
        guard let value else { return bindNull(at: index) }
        value.withUnsafeBytes { raw in
            _ = sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), Self.transient)
        }
    }

    func bind(_ value: String?, at index: Int32) {
        if let value { bind(value, at: index) } else { bindNull(at: index) }
    }

    func bind(_ value: Int64?, at index: Int32) {
        if let value { bind(value, at: index) } else { bindNull(at: index) }
    }

    func bind(_ value: Double?, at index: Int32) {
        if let value { bind(value, at: index) } else { bindNull(at: index) }
    }

    /// Advances one row; true when a row is available.
    @discardableResult
    func step() throws(SQLiteError) -> Bool {
        if connection.holdsWrites && !ignoresHeldWrites { try connection.writeHeld() }
        let result = sqlite3_step(handle)
        switch result {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = SQLiteError(code: result, message: connection.lastErrorMessage, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Runs a statement that returns no rows, with a fresh reset before and after.
    func run() throws(SQLiteError) {
        defer { sqlite3_reset(handle) }
        try step()
    }

    func isNull(at column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func int64(at column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func double(at column: Int32) -> Double { sqlite3_column_double(handle, column) }

    /// A REAL column where NULL stands for NaN.
    func doubleOrNaN(at column: Int32) -> Double {
        isNull(at: column) ? .nan : sqlite3_column_double(handle, column)
    }

    func optionalDouble(at column: Int32) -> Double? {
        isNull(at: column) ? nil : sqlite3_column_double(handle, column)
    }

    func optionalInt64(at column: Int32) -> Int64? {
        isNull(at: column) ? nil : sqlite3_column_int64(handle, column)
    }

    func blob(at column: Int32) -> [UInt8]? {
        guard let pointer = sqlite3_column_blob(handle, column) else { return nil }
        return Array(UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column))))
    }

    func text(at column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: pointer)
    }
}
