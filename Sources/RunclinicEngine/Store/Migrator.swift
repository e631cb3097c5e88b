/// Applies the migrations a database has not seen yet, all in one transaction that one server at
/// a time runs (two servers may open a new store at once).
enum Migrator {
    static func migrate(_ connection: any DatabaseConnection, migrations: [Migration] = Migration.all)
        throws(DatabaseError)
    {
        switch connection.dialect {
        case .sqlite:
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at REAL NOT NULL
                )
                """)
            // The write lock makes one of them migrate.
            try connection.execute("BEGIN IMMEDIATE")
        case .postgresql:
            try connection.execute("BEGIN")
            // A transaction-scoped advisory lock (any fixed key) serialises migrating servers.
            try connection.execute("SELECT pg_advisory_xact_lock(7306729)")
            try connection.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version bigint PRIMARY KEY,
                    name text NOT NULL,
                    applied_at double precision NOT NULL
                )
                """)
        }
        do {
            let applied = try appliedVersions(connection)
            for migration in migrations where !applied.contains(migration.version) {
                if let sql = migration.sql(for: connection.dialect) { try connection.execute(sql) }
                let record = try connection.prepare(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                record.bind(migration.version, at: 1)
                record.bind(migration.name, at: 2)
                record.bind(WallClock.now(), at: 3)
                try record.run()
            }
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    static func appliedVersions(_ connection: any DatabaseConnection) throws(DatabaseError) -> Set<Int> {
        let query = try connection.prepare("SELECT version FROM schema_migrations")
        var versions: Set<Int> = []
        while try query.step() { versions.insert(Int(query.int64(at: 0))) }
        return versions
    }
}
