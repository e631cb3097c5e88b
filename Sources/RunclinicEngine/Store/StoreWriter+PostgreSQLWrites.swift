/// Held writes into PostgreSQL, sent without waiting (their results are read before the
/// connection's next statement): the points by COPY when they are new, else as one statement of
/// six array parameters (run ids, key ids, steps, values, times, attempts) that `unnest` turns
/// into rows, the same short statement for any number of points; then the held rows (batches,
/// anomalies, actions, a run's new metric names, shared alerts) in their order, in one round trip
/// (libpq's pipeline mode).
extension StoreWriter {
    static let insertPointArraysSQL = """
        INSERT INTO metric_points (run_id, key_id, step, value, time, attempt)
        SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::double precision[], ?::double precision[], ?::bigint[])
        ON CONFLICT (run_id, attempt, step, key_id) DO UPDATE SET value = excluded.value, time = excluded.time
        """

    static let copyPointsSQL = "COPY metric_points (run_id, key_id, step, value, time, attempt) FROM STDIN"

    func writeHeldToPostgreSQL() throws(DatabaseError) {
        guard let connection = connection as? PostgreSQLConnection else { return }
        var statements: [PostgreSQLStatement] = []
        if !heldPoints.isEmpty {
            // Points at steps later than any this writer has seen of their keys go by COPY, a third
            // of the database's work of an upsert; should another writer have logged the same key
            // and step, the COPY fails, and the transaction is written again with upserts
            // (StoreWriter+Reconnect), which this writer then keeps to.
            if !copyDisabled && heldPoints.allSatisfy(\.fresh) {
                try connection.sendCopy(Self.copyPointsSQL, data: Self.copyText(heldPoints))
            } else {
                statements.append(try pointArrays())
            }
        }
        for row in heldRows {
            let statement = PostgreSQLStatement(connection: connection, sql: row.sql)
            for (index, value) in row.values.enumerated() { value.bind(to: statement, at: Int32(index + 1)) }
            statements.append(statement)
        }
        try connection.sendPipelined(statements)
    }

    private func pointArrays() throws(DatabaseError) -> PostgreSQLStatement {
        guard let connection = connection as? PostgreSQLConnection else {
            throw DatabaseError(sqlState: nil, message: "not a PostgreSQL connection", sql: nil)
        }
        // One statement may not write a row twice (SQLite's upsert would take the last).
        let points = HeldPoint.lastOfEach(heldPoints)
        let insert = PostgreSQLStatement(connection: connection, sql: Self.insertPointArraysSQL)
        insert.bind(Self.arrayLiteral(points.map { String($0.runID) }), at: 1)
        insert.bind(Self.arrayLiteral(points.map { String($0.keyID) }), at: 2)
        insert.bind(Self.arrayLiteral(points.map { String($0.step) }), at: 3)
        insert.bind(Self.arrayLiteral(points.map { PostgreSQLStatement.text(of: $0.value) }), at: 4)
        insert.bind(Self.arrayLiteral(points.map { PostgreSQLStatement.text(of: $0.time) }), at: 5)
        insert.bind(Self.arrayLiteral(points.map { String($0.attempt) }), at: 6)
        return insert
    }

    /// COPY's text format: a row per line, columns split by tabs; numbers (NaN and Infinity too)
    /// need no escaping.
    static func copyText(_ points: [HeldPoint]) -> [UInt8] {
        var text = ""
        text.reserveCapacity(points.count * 64)
        for point in points {
            text += String(point.runID)
            text += "\t"
            text += String(point.keyID)
            text += "\t"
            text += String(point.step)
            text += "\t"
            text += PostgreSQLStatement.text(of: point.value)
            text += "\t"
            text += PostgreSQLStatement.text(of: point.time)
            text += "\t"
            text += String(point.attempt)
            text += "\n"
        }
        return Array(text.utf8)
    }

    /// `{1,2,3}`: numbers (and NaN, Infinity) need no quoting in an array literal.
    private static func arrayLiteral(_ elements: [String]) -> String {
        "{" + elements.joined(separator: ",") + "}"
    }
}
