import CSQLite

/// One SQLite connection. Not thread-safe by itself: the store keeps each connection behind a lock.
final class SQLiteConnection: DatabaseConnection {
    let handle: OpaquePointer
    let path: String
    let dialect = SQLDialect.sqlite
    weak var heldWrites: (any HeldWrites)?
    var holdsWrites = false

    /// Set once per process, before the first connection (Swift runs a static's initialiser once).
    private static let configured: Void = { _ = runclinic_sqlite3_stop_counting_memory() }()

    init(path: String, readOnly: Bool = false) throws(DatabaseError) {
        _ = Self.configured
        var pointer: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let result = sqlite3_open_v2(path, &pointer, flags, nil)
        guard result == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            if let pointer { sqlite3_close_v2(pointer) }
            throw DatabaseError(code: result, message: "\(message): \(path)", sql: nil)
        }
        handle = pointer
        self.path = path
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    func execute(_ sql: String) throws(DatabaseError) {
        if holdsWrites { try writeHeld() }
        var errorMessage: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if result != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(errorMessage)
            throw DatabaseError(code: result, message: message, sql: sql)
        }
    }

    func prepare(_ sql: String) throws(DatabaseError) -> any DatabaseStatement {
        var statement: OpaquePointer?
        let result = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard result == SQLITE_OK, let statement else {
            throw DatabaseError(code: result, message: lastErrorMessage, sql: sql)
        }
        return SQLiteStatement(handle: statement, connection: self, sql: sql)
    }

    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }
    let transactionFailed = false
    var lastErrorMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }
}
