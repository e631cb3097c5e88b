import Foundation

/// What `copy(from:)` did.
public struct StoreCopySummary: Sendable {
    public var runsCopied = 0
    /// Runs copied before from the same store, whose rows were replaced.
    public var runsReplaced = 0
    /// Runs whose name another run of the project had here already: (source name, name here).
    public var renamed: [(from: String, to: String)] = []
    public var points = 0
    public var rows: [String: Int] = [:]
    public var auditsCopied = 0
    public var auditsReplaced = 0
}

/// `runclinic migrate`: every run and audit of another store copied into this one (SQLite to
/// PostgreSQL, or back), row for row and point for point (NaN, ±Infinity and -0.0 included).
/// Copying the same store again replaces what the last copy wrote (store_copies remembers it), so
/// a migration can be run again after the source has grown.
extension RunStore {
    /// The tables that hang off a run, with their columns as copied (run_id is set to the copy's).
    private static let runTables: [RowCopy] = [
        RowCopy(
            "batches",
            [
                "step": .integer, "batch": .integer, "phase": .text, "metrics": .text, "samples": .text,
                "time": .real, "attempt": .integer,
            ], order: "id"),
        RowCopy("checkpoints", ["step": .integer, "path": .text, "metrics": .text, "time": .real], order: "id"),
        RowCopy(
            "anomalies",
            [
                "step": .integer, "type": .text, "metric": .text, "severity": .text, "detail": .text,
                "time": .real,
            ], order: "id"),
        RowCopy("actions", ["step": .integer, "kind": .text, "detail": .text, "time": .real], order: "id"),
        RowCopy(
            "alert_deliveries",
            [
                "target": .text, "status": .text, "attempts": .integer, "error": .text,
                "payload": .text, "time": .real,
            ], order: "id"),
        RowCopy(
            "run_imports",
            [
                "format": .text, "source_path": .text, "source_run_id": .text, "points": .integer,
                "partial": .text, "imported_at": .real,
            ], order: "run_id"),
    ]

    private static let auditTables: [RowCopy] = [
        RowCopy(
            "audit_findings",
            [
                "path": .text, "issue": .text, "severity": .text, "score": .real, "threshold": .real,
                "detail": .text, "image_group": .text,
            ], order: "rowid", parent: "audit_id"),
        RowCopy(
            "audit_images",
            [
                "path": .text, "readable": .integer, "size": .integer, "content_hash": .integer,
                "width": .integer, "height": .integer, "difference_hash": .integer,
                "average_hash": .integer, "text_marks": .integer, "perceptual_hash": .integer,
            ], order: "rowid", parent: "audit_id"),
    ]

    private static let inspectionColumns: [(String, RowCopy.Kind)] = [
        ("path", .text), ("size", .integer), ("mtime", .real), ("content_hash", .integer), ("inspection", .text),
        ("inspected_at", .real), ("thumbnail", .blob), ("thumbnail_range", .real),
        ("keypoints", .blob),
    ]

    public func copy(from source: RunStore) throws -> StoreCopySummary {
        let sourceName: String
        switch source.location {
        case .sqlite(let path):
            sourceName = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        case .postgresql: sourceName = source.location.description
        }
        var summary = StoreCopySummary()
        let runIDs = try source.read { connection in try Self.ids("SELECT id FROM runs ORDER BY id", on: connection) }
        for runID in runIDs {
            try source.read { from in
                try write { state in
                    try state.writeNow {
                        try copyRun(runID, from: from, sourceName: sourceName, into: state, summary: &summary)
                    }
                }
            }
        }
        try source.read { from in
            try write { state in try state.writeNow { try copyInspections(from: from, into: state, summary: &summary) }
            }
        }
        let auditIDs = try source.read { connection in try Self.ids("SELECT id FROM audits ORDER BY id", on: connection)
        }
        for auditID in auditIDs {
            try source.read { from in
                try write { state in
                    try state.writeNow {
                        try copyAudit(auditID, from: from, sourceName: sourceName, into: state, summary: &summary)
                    }
                }
            }
        }
        return summary
    }

    private static func ids(_ sql: String, on connection: any DatabaseConnection) throws -> [Int64] {
        let query = try connection.prepare(sql)
        var ids: [Int64] = []
        while try query.step() { ids.append(query.int64(at: 0)) }
        return ids
    }

    /// The id this store gave to `sourceID` of `sourceName` when it was last copied, if that row is still here.
    private func earlierCopy(
        kind: String, table: String, sourceName: String, sourceID: Int64, on connection: any DatabaseConnection
    )
        throws -> Int64?
    {
        let query = try connection.prepare(
            "SELECT copy.target_id FROM store_copies AS copy JOIN \(table) AS row ON row.id = copy.target_id WHERE copy.kind = ? AND copy.source_store = ? AND copy.source_id = ?"
        )
        query.bind(kind, at: 1)
        query.bind(sourceName, at: 2)
        query.bind(sourceID, at: 3)
        return try query.step() ? query.int64(at: 0) : nil
    }

    private func remember(
        kind: String, sourceName: String, sourceID: Int64, targetID: Int64, on connection: any DatabaseConnection
    ) throws {
        let record = try connection.prepare(
            """
            INSERT INTO store_copies (kind, source_store, source_id, target_id, copied_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (kind, source_store, source_id) DO UPDATE SET target_id = excluded.target_id, copied_at = excluded.copied_at
            """)
        record.bind(kind, at: 1)
        record.bind(sourceName, at: 2)
        record.bind(sourceID, at: 3)
        record.bind(targetID, at: 4)
        record.bind(WallClock.now(), at: 5)
        try record.run()
    }

    private func copyRun(
        _ sourceID: Int64, from: any DatabaseConnection, sourceName: String, into state: StoreWriter,
        summary: inout StoreCopySummary
    ) throws {
        let connection = state.connection
        let run = try from.prepare(
            """
            SELECT projects.name, runs.name, runs.status, runs.config, runs.tags, runs.started_at, runs.ended_at,
                   runs.attempt, runs.rewind_to_step, runs.summary
            FROM runs JOIN projects ON projects.id = runs.project_id WHERE runs.id = ?
            """)
        run.bind(sourceID, at: 1)
        guard try run.step() else { return }
        let projectID = try Self.projectID(named: run.text(at: 0) ?? "default", on: connection)
        let sourceRunName = run.text(at: 1) ?? ""
        let targetID: Int64
        if let earlier = try earlierCopy(
            kind: "run", table: "runs", sourceName: sourceName, sourceID: sourceID, on: connection)
        {
            targetID = earlier
            for table in ["metric_points", "run_metric_keys"] + Self.runTables.map(\.table) {
                let delete = try connection.prepare("DELETE FROM \(table) WHERE run_id = ?")
                delete.bind(targetID, at: 1)
                try delete.run()
            }
            let update = try connection.prepare(
                "UPDATE runs SET status = ?, config = ?, tags = ?, started_at = ?, ended_at = ?, attempt = ?, rewind_to_step = ?, summary = ? WHERE id = ?"
            )
            for column in Int32(2)...9 {
                Self.carry(run, column: column, kind: Self.runKinds[Int(column)], to: update, at: column - 1)
            }
            update.bind(targetID, at: 9)
            try update.run()
            summary.runsReplaced += 1
        } else {
            let name = try Self.availableName(sourceRunName, projectID: projectID, except: nil, on: connection)
            if name != sourceRunName { summary.renamed.append((sourceRunName, name)) }
            let insert = try connection.prepare(
                """
                INSERT INTO runs (project_id, name, status, config, tags, started_at, ended_at, attempt, rewind_to_step, summary)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """)
            insert.bind(projectID, at: 1)
            insert.bind(name, at: 2)
            for column in Int32(2)...9 {
                Self.carry(run, column: column, kind: Self.runKinds[Int(column)], to: insert, at: column + 1)
            }
            targetID = try insert.insertReturningID()
            try remember(kind: "run", sourceName: sourceName, sourceID: sourceID, targetID: targetID, on: connection)
        }
        state.forgetRun(targetID)
        summary.runsCopied += 1

        // Metric names, in the order the run first logged them, then its points.
        let keys = try from.prepare(
            """
            SELECT run_metric_keys.key_id, metric_keys.name, run_metric_keys.first_step FROM run_metric_keys
            JOIN metric_keys ON metric_keys.id = run_metric_keys.key_id WHERE run_metric_keys.run_id = ? ORDER BY run_metric_keys.rowid
            """)
        keys.bind(sourceID, at: 1)
        var keyIDs: [Int64: Int64] = [:]
        let insertKey = try connection.prepare(
            "INSERT INTO run_metric_keys (run_id, key_id, first_step) VALUES (?, ?, ?)")
        while try keys.step() {
            let targetKey = try state.keyID(for: keys.text(at: 1) ?? "")
            keyIDs[keys.int64(at: 0)] = targetKey
            insertKey.reset()
            insertKey.bind(targetID, at: 1)
            insertKey.bind(targetKey, at: 2)
            insertKey.bind(keys.int64(at: 2), at: 3)
            try insertKey.run()
        }
        summary.points += try copyPoints(sourceID, to: targetID, keyIDs: keyIDs, from: from, state: state)
        for table in Self.runTables {
            summary.rows[table.table, default: 0] += try table.copy(
                parent: sourceID, to: targetID, from: from, into: connection)
        }
    }

    /// runs' columns 2-9 as the copy reads them: status, config, tags, started_at, ended_at, attempt, rewind_to_step, summary.
    private static let runKinds: [RowCopy.Kind] = [
        .text, .text, .text, .text, .text, .real, .real, .integer, .integer, .text,
    ]

    static func carry(
        _ row: any DatabaseStatement, column: Int32, kind: RowCopy.Kind, to statement: any DatabaseStatement,
        at index: Int32
    ) {
        if row.isNull(at: column) && kind != .pointValue { return statement.bindNull(at: index) }
        switch kind {
        case .integer: statement.bind(row.int64(at: column), at: index)
        case .real: statement.bind(row.double(at: column), at: index)
        case .pointValue: statement.bind(row.doubleOrNaN(at: column), at: index)
        case .text: statement.bind(row.text(at: column), at: index)
        case .blob: statement.bind(row.blob(at: column), at: index)
        }
    }

    /// Points 256 to a statement, their values exactly (NaN read from SQLite's NULL).
    private func copyPoints(
        _ sourceID: Int64, to targetID: Int64, keyIDs: [Int64: Int64], from: any DatabaseConnection, state: StoreWriter
    ) throws -> Int {
        let points = try from.prepare(
            "SELECT key_id, step, value, time, attempt FROM metric_points WHERE run_id = ? ORDER BY attempt, step, key_id"
        )
        points.bind(sourceID, at: 1)
        var rows: [HeldPoint] = []
        var copied = 0
        func flush() throws {
            guard !rows.isEmpty else { return }
            let insert = try state.insertPointsStatement(count: rows.count)
            insert.reset()
            HeldPoint.bind(rows[...], to: insert)
            try insert.run()
            copied += rows.count
            rows.removeAll(keepingCapacity: true)
        }
        while try points.step() {
            guard let key = keyIDs[points.int64(at: 0)] else { continue }
            rows.append(
                HeldPoint(
                    runID: targetID, keyID: key, step: points.int64(at: 1), value: points.doubleOrNaN(at: 2),
                    time: points.double(at: 3), attempt: points.int64(at: 4)))
            if rows.count == 256 { try flush() }
        }
        try flush()
        return copied
    }

    /// Image inspections are keyed by path: the source's replace this store's.
    private func copyInspections(from: any DatabaseConnection, into state: StoreWriter, summary: inout StoreCopySummary)
        throws
    {
        let names = Self.inspectionColumns.map(\.0)
        let select = try from.prepare("SELECT \(names.joined(separator: ", ")) FROM image_inspections ORDER BY path")
        let updates = names.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        let insert = try state.connection.prepare(
            "INSERT INTO image_inspections (\(names.joined(separator: ", "))) VALUES (\(names.map { _ in "?" }.joined(separator: ", "))) ON CONFLICT (path) DO UPDATE SET \(updates)"
        )
        var count = 0
        while try select.step() {
            insert.reset()
            for (index, column) in Self.inspectionColumns.enumerated() {
                Self.carry(select, column: Int32(index), kind: column.1, to: insert, at: Int32(index + 1))
            }
            try insert.run()
            count += 1
        }
        summary.rows["image_inspections", default: 0] += count
    }

    private func copyAudit(
        _ sourceID: Int64, from: any DatabaseConnection, sourceName: String, into state: StoreWriter,
        summary: inout StoreCopySummary
    ) throws {
        let connection = state.connection
        let columns: [(String, RowCopy.Kind)] = [
            ("roots", .text), ("dataset", .text), ("thresholds", .text), ("images", .integer), ("reused", .integer),
            ("started_at", .real), ("finished_at", .real), ("fingerprint", .integer),
        ]
        let audit = try from.prepare("SELECT \(columns.map(\.0).joined(separator: ", ")) FROM audits WHERE id = ?")
        audit.bind(sourceID, at: 1)
        guard try audit.step() else { return }
        let targetID: Int64
        if let earlier = try earlierCopy(
            kind: "audit", table: "audits", sourceName: sourceName, sourceID: sourceID, on: connection)
        {
            targetID = earlier
            for table in Self.auditTables {
                let delete = try connection.prepare("DELETE FROM \(table.table) WHERE audit_id = ?")
                delete.bind(targetID, at: 1)
                try delete.run()
            }
            let update = try connection.prepare(
                "UPDATE audits SET \(columns.map { "\($0.0) = ?" }.joined(separator: ", ")) WHERE id = ?")
            for (index, column) in columns.enumerated() {
                Self.carry(audit, column: Int32(index), kind: column.1, to: update, at: Int32(index + 1))
            }
            update.bind(targetID, at: Int32(columns.count + 1))
            try update.run()
            summary.auditsReplaced += 1
        } else {
            let insert = try connection.prepare(
                "INSERT INTO audits (\(columns.map(\.0).joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", "))) RETURNING id"
            )
            for (index, column) in columns.enumerated() {
                Self.carry(audit, column: Int32(index), kind: column.1, to: insert, at: Int32(index + 1))
            }
            targetID = try insert.insertReturningID()
            try remember(kind: "audit", sourceName: sourceName, sourceID: sourceID, targetID: targetID, on: connection)
        }
        summary.auditsCopied += 1
        for table in Self.auditTables {
            summary.rows[table.table, default: 0] += try table.copy(
                parent: sourceID, to: targetID, from: from, into: connection)
        }
    }
}

/// The rows of one table that belong to a run (or an audit), copied column by column.
struct RowCopy: Sendable {
    enum Kind: Sendable {
        case integer, real, text, blob
        /// A point's value: NULL in SQLite stands for NaN.
        case pointValue
    }

    let table: String
    let columns: [(String, Kind)]
    let order: String
    let parent: String

    init(_ table: String, _ columns: KeyValuePairs<String, Kind>, order: String, parent: String = "run_id") {
        self.table = table
        self.columns = columns.map { ($0.key, $0.value) }
        self.order = order
        self.parent = parent
    }

    /// Copies the rows of `parent` (the source's id) under `target`; returns how many.
    func copy(parent sourceID: Int64, to targetID: Int64, from: any DatabaseConnection, into: any DatabaseConnection)
        throws -> Int
    {
        let names = columns.map(\.0)
        let select = try from.prepare(
            "SELECT \(names.joined(separator: ", ")) FROM \(table) WHERE \(parent) = ? ORDER BY \(order)")
        select.bind(sourceID, at: 1)
        let insert = try into.prepare(
            "INSERT INTO \(table) (\(parent), \(names.joined(separator: ", "))) VALUES (?\(String(repeating: ", ?", count: names.count)))"
        )
        var count = 0
        while try select.step() {
            insert.reset()
            insert.bind(targetID, at: 1)
            for (index, column) in columns.enumerated() {
                RunStore.carry(select, column: Int32(index), kind: column.1, to: insert, at: Int32(index + 2))
            }
            try insert.run()
            count += 1
        }
        return count
    }
}
