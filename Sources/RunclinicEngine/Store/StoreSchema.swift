/// The connection settings every runclinic connection uses.
enum StoreSchema {
    /// WAL lets readers (an editor's server, analysis) run beside the writer; synchronous=NORMAL
    /// survives a killed process (it is fsync at checkpoints that it skips, which only a power
    /// loss needs) and commits in ~25 µs instead of ~20 ms.
    static func configureWriter(_ connection: SQLiteConnection, sync: DiskSync) throws(SQLiteError) {
        connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        _ = try connection.scalarText("PRAGMA journal_mode=WAL")
        try connection.execute(sync == .full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        try connection.execute("PRAGMA foreign_keys=ON")
    }

    static func configureReader(_ connection: SQLiteConnection) throws(SQLiteError) {
        connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        try connection.execute("PRAGMA query_only=1")
    }

    /// Another process (a second server on the same file) may hold the write lock for up to one
    /// commit window; waiting this long means clients never see "database is locked".
    static let busyTimeoutMilliseconds: Int32 = 30_000
}
