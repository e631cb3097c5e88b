import CSQLite

#if canImport(Glibc)
    import Glibc
#endif

/// The connections a store opens, with the settings every runclinic connection uses.
enum StoreSchema {
    static func openWriter(_ location: StoreLocation, sync: DiskSync) throws(DatabaseError) -> any DatabaseConnection {
        switch location {
        case .sqlite(let path):
            let connection = try SQLiteConnection(path: path)
            try configureWriter(connection, sync: sync)
            return connection
        case .postgresql(let connectionString):
            return try PostgreSQLConnection(connectionString: connectionString)
        }
    }

    static func openReader(_ location: StoreLocation) throws(DatabaseError) -> any DatabaseConnection {
        switch location {
        case .sqlite(let path):
            let connection = try SQLiteConnection(path: path)
            try configureReader(connection)
            return connection
        case .postgresql(let connectionString):
            return try PostgreSQLConnection(connectionString: connectionString)
        }
    }

    /// WAL lets readers (an editor's server, analysis) run beside the writer; synchronous=NORMAL
    /// survives a killed process (it is fsync at checkpoints that it skips, which only a power
    /// loss needs) and commits in ~25 µs instead of ~20 ms.
    static func configureWriter(_ connection: SQLiteConnection, sync: DiskSync) throws(DatabaseError) {
        connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        // Switching to WAL needs the file to itself for a moment, and SQLite answers "busy" there
        // without waiting: while another process opens the same new store, try again.
        let deadline = WallClock.now() + Double(busyTimeoutMilliseconds) / 1_000
        while true {
            do throws(DatabaseError) {
                _ = try connection.scalarText("PRAGMA journal_mode=WAL")
                break
            } catch  where error.code == SQLITE_BUSY && WallClock.now() < deadline {
                usleep(20_000)
            }
        }
        try connection.execute(sync == .full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL")
        try connection.execute("PRAGMA foreign_keys=ON")
    }

    static func configureReader(_ connection: SQLiteConnection) throws(DatabaseError) {
        connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        try connection.execute("PRAGMA query_only=1")
    }

    /// Another process (a second server on the same file) may hold the write lock for up to one
    /// commit window; waiting this long means clients never see "database is locked".
    static let busyTimeoutMilliseconds: Int32 = 30_000
}
