/// Held writes into PostgreSQL, sent without waiting (their results are read before the
/// connection's next statement). Points at new steps go by a binary COPY, and the held rows
/// (batches, anomalies, actions, a run's new metric names, shared alerts) follow it in the same
/// query, with a commit if one is due: one round trip, in which the database has all it needs.
/// Other points go as one statement of six array parameters (run ids, key ids, steps, values,
/// times, attempts) that `unnest` turns into rows, the same short statement for any number of
/// points, pipelined with the rows (libpq's pipeline mode).
extension StoreWriter {
    static let insertPointArraysSQL = """
        INSERT INTO metric_points (run_id, key_id, step, value, time, attempt)
        SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::double precision[], ?::double precision[], ?::bigint[])
        ON CONFLICT (run_id, attempt, step, key_id) DO UPDATE SET value = excluded.value, time = excluded.time
        """

    static let copyPointsSQL =
        "COPY metric_points (run_id, key_id, step, value, time, attempt) FROM STDIN (FORMAT binary)"

    /// `thenRun`: statements without parameters sent after the held writes, in the same round
    /// trip (a commit).
    func writeHeldToPostgreSQL(thenRun trailer: [String] = []) throws(DatabaseError) {
        guard let connection = connection as? PostgreSQLConnection else { return }
        // Points at steps later than any this writer has seen of their keys go by COPY, a third
        // of the database's work of an upsert; should another writer have logged the same key
        // and step, the COPY fails, and the transaction is written again with upserts
        // (StoreWriter+Reconnect), which this writer then keeps to.
        let copiesPoints = !heldPoints.isEmpty && !copyDisabled && heldPoints.allSatisfy(\.fresh)
        guard copiesPoints else {
            var statements: [PostgreSQLStatement] = []
            if !heldPoints.isEmpty { statements.append(try pointArrays()) }
            for row in heldRows {
                let statement = PostgreSQLStatement(connection: connection, sql: row.sql)
                for (index, value) in row.values.enumerated() { value.bind(to: statement, at: Int32(index + 1)) }
                statements.append(statement)
            }
            return try connection.sendPipelined(statements, thenRun: trailer)
        }
        // The rows (and the commit) follow the COPY in its query, their values written in: in a
        // pipeline of their own, before or after it, the writer would wait for the database to
        // run them or the COPY, which on a run raising alerts halved its speed.
        var rows: [String] = []
        rows.reserveCapacity(heldRows.count)
        for row in heldRows {
            rows.append(try PostgreSQLSyntax.inlined(connection.template(for: row.sql), row.values, sql: row.sql))
        }
        try connection.sendCopy(Self.copyPointsSQL, data: Self.copyBinary(heldPoints), thenRun: rows + trailer)
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

    /// COPY's binary format: a header, then per row its six fields, each a length and its bytes in
    /// network order (bigint and double precision are 8 bytes), then a trailer. Nothing is written
    /// out in digits or parsed back: those were a tenth of the writer's and the database's work,
    /// and NaN, ±Infinity and -0.0 go as their bits.
    static func copyBinary(_ points: [HeldPoint]) -> [UInt8] {
        let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [UInt8](repeating: 0, count: 8)
        let rowSize = 2 + 6 * (4 + 8)
        var data = [UInt8](repeating: 0, count: header.count + points.count * rowSize + 2)
        data.withUnsafeMutableBytes { buffer in
            buffer.copyBytes(from: header)
            var offset = header.count
            func put<T: FixedWidthInteger>(_ value: T) {
                buffer.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
                offset += MemoryLayout<T>.size
            }
            func put(field: Int64) {
                put(Int32(8))
                put(field)
            }
            for point in points {
                put(Int16(6))
                put(field: point.runID)
                put(field: point.keyID)
                put(field: point.step)
                put(field: Int64(bitPattern: point.value.bitPattern))
                put(field: Int64(bitPattern: point.time.bitPattern))
                put(field: point.attempt)
            }
            put(Int16(-1))
        }
        return data
    }

    /// `{1,2,3}`: numbers (and NaN, Infinity) need no quoting in an array literal.
    private static func arrayLiteral(_ elements: [String]) -> String {
        "{" + elements.joined(separator: ",") + "}"
    }
}
