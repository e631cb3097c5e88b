import Testing

@testable import RunclinicEngine

/// What the store's SQL becomes on PostgreSQL, and how connection strings are shown. (The store
/// itself runs on a real PostgreSQL in the Python suite: RUNCLINIC_TEST_STORE=postgresql.)
@Suite struct PostgreSQLSpellingTests {
    @Test func placeholdersAreNumberedAndQuotedTextIsLeftAlone() {
        let plain = PostgreSQLSyntax.translate("SELECT a FROM t WHERE b = ? AND c = '?' AND d IN (?, ?)")
        #expect(plain.text == "SELECT a FROM t WHERE b = $1 AND c = '?' AND d IN ($2, $3)")
        #expect(plain.parameterCount == 3)
        let numbered = PostgreSQLSyntax.translate("SELECT 1 FROM x WHERE p = ?1 OR q = ?1 LIMIT ?2")
        #expect(numbered.text == "SELECT 1 FROM x WHERE p = $1 OR q = $1 LIMIT $2" && numbered.parameterCount == 2)
        let identifier = PostgreSQLSyntax.translate(#"SELECT "what?" FROM t WHERE x = ?"#)
        #expect(identifier.text == #"SELECT "what?" FROM t WHERE x = $1"#)
    }

    @Test func sqliteOnlySpellingsBecomePostgreSQLs() {
        #expect(PostgreSQLSyntax.translate("BEGIN IMMEDIATE").text == "BEGIN")
        #expect(
            PostgreSQLSyntax.translate("SELECT CAST(width AS REAL) * height").text
                == "SELECT CAST(width AS double precision) * height")
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
