/// Applies the migrations a database has not seen yet, each in its own transaction.
enum Migrator {
    static func migrate(_ connection: SQLiteConnection, migrations: [Migration] = Migration.all) throws(SQLiteError) {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at REAL NOT NULL
            )
            """)
        // Two servers may open a new file at once: the write lock makes one of them migrate.
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let applied = try appliedVersions(connection)
            for migration in migrations where !applied.contains(migration.version) {
                try connection.execute(migration.sql)
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

    static func appliedVersions(_ connection: SQLiteConnection) throws(SQLiteError) -> Set<Int> {
        let query = try connection.prepare("SELECT version FROM schema_migrations")
        var versions: Set<Int> = []
        while try query.step() { versions.insert(Int(query.int64(at: 0))) }
        return versions
    }
}
