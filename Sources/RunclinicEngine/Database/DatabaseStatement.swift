/// A statement: bind its parameters (numbered from 1), step through its rows, read columns
/// (numbered from 0), reset to run it again.
protocol DatabaseStatement: AnyObject {
    var sql: String { get }
    /// Set for inserts that no held row can affect (their own tables, the same transaction): they
    /// run without writing the connection's held rows first.
    var ignoresHeldWrites: Bool { get set }

    /// Starts a new execution: clears the previous bindings and rewinds.
    func reset()
    func bind(_ value: Int64, at index: Int32)
    /// NaN is stored as the database can: SQLite cannot hold NaN (it binds NULL, and every column
    /// that takes a NaN documents "NULL means NaN"); PostgreSQL keeps it.
    func bind(_ value: Double, at index: Int32)
    func bind(_ value: String, at index: Int32)
    func bind(_ value: [UInt8]?, at index: Int32)
    func bindNull(at index: Int32)
    /// Advances one row; true when a row is available.
    @discardableResult
    func step() throws(DatabaseError) -> Bool
    /// Rewinds after the last row read, keeping the bindings.
    func rewind()

    func isNull(at column: Int32) -> Bool
    func int64(at column: Int32) -> Int64
    func double(at column: Int32) -> Double
    func blob(at column: Int32) -> [UInt8]?
    func text(at column: Int32) -> String?
}

extension DatabaseStatement {
    func bind(_ value: Int, at index: Int32) { bind(Int64(value), at: index) }

    func bind(_ value: String?, at index: Int32) {
        if let value { bind(value, at: index) } else { bindNull(at: index) }
    }

    func bind(_ value: Int64?, at index: Int32) {
        if let value { bind(value, at: index) } else { bindNull(at: index) }
    }

    func bind(_ value: Double?, at index: Int32) {
        if let value { bind(value, at: index) } else { bindNull(at: index) }
    }

    /// Runs a statement that returns no rows, rewound before and after.
    func run() throws(DatabaseError) {
        defer { rewind() }
        try step()
    }

    /// Runs an `INSERT ... RETURNING id` and returns the new row's id.
    func insertReturningID() throws(DatabaseError) -> Int64 {
        defer { rewind() }
        guard try step() else {
            throw DatabaseError(sqlState: nil, message: "the insert returned no id", sql: sql)
        }
        return int64(at: 0)
    }

    /// A REAL column where NULL stands for NaN.
    func doubleOrNaN(at column: Int32) -> Double { isNull(at: column) ? .nan : double(at: column) }
    func optionalDouble(at column: Int32) -> Double? { isNull(at: column) ? nil : double(at: column) }
    func optionalInt64(at column: Int32) -> Int64? { isNull(at: column) ? nil : int64(at: column) }
}
