import Testing

@testable import RunclinicEngine

/// What the store's SQL becomes on PostgreSQL, and how connection strings are shown. (The store
/// itself runs on a real PostgreSQL in the Python suite: RUNCLINIC_TEST_STORE=postgresql.)
@Suite struct PostgreSQLSpellingTests {
    @Test func placeholdersAreNumberedAndQuotedTextIsLeftAlone() {
        let plain = PostgreSQLSyntax.template("SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)")
        #expect(plain.numbered == "SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)")
        #expect(plain.parameterCount == 3)
        let numbered = PostgreSQLSyntax.template("SELECT 1 FROM x WHERE p = ?1 OR q = ?1 LIMIT ?2")
        #expect(numbered.numbered == "SELECT 1 FROM x WHERE p = $1 OR q = $1 LIMIT $2" && numbered.parameterCount == 2)
        let identifier = PostgreSQLSyntax.template(#"SELECT "what?" FROM t WHERE x = ?"#)
        #expect(identifier.numbered == #"SELECT "what?" FROM t WHERE x = $1"#)
    }

    @Test func sqliteOnlySpellingsBecomePostgreSQLs() {
        #expect(PostgreSQLSyntax.template("BEGIN IMMEDIATE").numbered == "BEGIN")
        #expect(
            PostgreSQLSyntax.template("SELECT CAST(width AS REAL) * height").numbered
                == "SELECT CAST(width AS double precision) * height")
    }

    @Test func valuesWrittenInAreQuotedLiterals() throws {
        let sql = "INSERT INTO t (a, b, c, d, e) VALUES (?, ?, ?, '?', ?)"
        let inlined = try PostgreSQLSyntax.inlined(
            PostgreSQLSyntax.template(sql), [.integer(-7), .real(-0.0), .text("it's \\ $1 ?"), .null], sql: sql)
        #expect(inlined == #"INSERT INTO t (a, b, c, d, e) VALUES ('-7', '-0.0', 'it''s \ $1 ?', '?', NULL)"#)
        let numbered = "SELECT ?2, ?1, ?2"
        #expect(
            try PostgreSQLSyntax.inlined(
                PostgreSQLSyntax.template(numbered), [.real(.nan), .text("''")], sql: numbered)
                == #"SELECT '''''', 'NaN', ''''''"#)
        #expect(throws: DatabaseError.self) {
            try PostgreSQLSyntax.inlined(PostgreSQLSyntax.template("SELECT ?"), [.text("a\u{0}b")], sql: "SELECT ?")
        }
    }

    /// A call that fails on a lost connection runs again: what it kept is forgotten first, even
    /// once a failed commit's writes were put back in front of it.
    @Test func aCallsKeptWritesAreToldFromThoseBeforeIt() {
        func point(_ step: Int64) -> HeldPoint {
            HeldPoint(runID: 1, keyID: 1, step: step, value: 0, time: 0, attempt: 0)
        }
        var replay = TransactionReplay()
        replay.keep(point(1))
        var sent = replay  // a commit sent without waiting
        replay.clear()
        replay.keep(point(2))
        let call = replay.end
        replay.keep(point(3))
        replay.keep(TransactionReplay.Write(sql: "INSERT", values: []))
        replay.prepend(sent)  // the sent commit failed
        #expect(replay.points.map(\.step) == [1, 2, 3] && replay.writes.count == 1)
        replay.forget(since: call)
        #expect(replay.points.map(\.step) == [1, 2] && replay.writes.isEmpty)
        sent.clear()
        replay.prepend(sent)  // nothing to put back
        #expect(replay.points.map(\.step) == [1, 2])
    }

    @Test func passwordsAreNeverShown() {
        #expect(
            ConnectionString.redacted("postgresql://trainer:s3cret@db.lab:5432/runs")
                == "postgresql://trainer:***@db.lab:5432/runs")
        #expect(ConnectionString.redacted("postgres://trainer@db.lab/runs") == "postgres://trainer@db.lab/runs")
        #expect(
            ConnectionString.redacted("postgresql://t:a:b@h/db?sslmode=require&password=x1")
                == "postgresql://t:***@h/db?sslmode=require&password=***")
        #expect(ConnectionString.redacted("host=h dbname=runs password='p w'") == "host=h dbname=runs password=***")
        #expect(
            ConnectionString.scrub("FATAL: user trainer with s3cret refused", of: "postgresql://trainer:s3cret@h/db")
                == "FATAL: user trainer with *** refused")
    }

    @Test func aPathIsSQLiteAndASchemeIsPostgreSQL() {
        #expect(StoreLocation("runs.db") == .sqlite(path: "runs.db"))
        #expect(StoreLocation("postgresql://u@h/db").isPostgreSQL && StoreLocation("postgres://u@h/db").isPostgreSQL)
        #expect(StoreLocation("postgresql://u:pw@h/db").description == "postgresql://u:***@h/db")
    }
}
