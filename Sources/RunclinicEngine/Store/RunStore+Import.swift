import RunclinicJSON

/// What storing an imported run did.
public struct StoredImport: Sendable {
    public let run: RunRecord
    /// False when the source had been imported before and its run was updated in place.
    public let created: Bool
    public let points: Int
}

extension RunStore {
    /// Stores a run read from another tool in one transaction. A source imported before (same
    /// format, path and source run id) replaces that run's points, config and status, keeping its
    /// id, and its project and name unless they are given; a new one gets the source's name, or
    /// `name-2`, `name-3`... when the project has it.
    public func storeImportedRun(_ imported: ImportedRun, project: String? = nil, name: String? = nil) throws
        -> StoredImport
    {
        try write { state in
            try state.writeNow {
                let connection = state.connection
                let existing = try state.statement(
                    "SELECT run_id FROM run_imports WHERE format = ? AND source_path = ? AND source_run_id = ?")
                existing.reset()
                existing.bind(imported.format.rawValue, at: 1)
                existing.bind(imported.sourcePath, at: 2)
                existing.bind(imported.sourceRunID, at: 3)
                let previousID = try existing.step() ? existing.int64(at: 0) : nil
                existing.reset()
                let startedAt = imported.startedAt ?? imported.metrics.times.min() ?? WallClock.now()
                let config = imported.config.map(JSONWriter.string)
                let tags = JSONWriter.string(JSONValue(imported.tags))
                let runID: Int64
                if let previousID {
                    runID = previousID
                    // The run stays where it is (project and name) unless the caller says otherwise.
                    let current = try connection.prepare("SELECT project_id, name FROM runs WHERE id = ?")
                    current.bind(runID, at: 1)
                    _ = try current.step()
                    let projectID =
                        try project.map { try Self.projectID(named: $0, on: connection) } ?? current.int64(at: 0)
                    let runName = try Self.availableName(
                        name ?? current.text(at: 1) ?? imported.name, projectID: projectID, except: runID,
                        on: connection)
                    for table in ["metric_points", "run_metric_keys", "anomalies", "actions"] {
                        let delete = try state.statement("DELETE FROM \(table) WHERE run_id = ?")
                        delete.reset()
                        delete.bind(runID, at: 1)
                        try delete.run()
                    }
                    let update = try connection.prepare(
                        """
                        UPDATE runs SET project_id = ?, name = ?, status = ?, config = ?, tags = ?, started_at = ?,
                        ended_at = ?, summary = ?, attempt = 0, rewind_to_step = NULL WHERE id = ?
                        """)
                    update.bind(projectID, at: 1)
                    update.bind(runName, at: 2)
                    update.bind(imported.status.rawValue, at: 3)
                    update.bind(config, at: 4)
                    update.bind(tags, at: 5)
                    update.bind(startedAt, at: 6)
                    update.bind(imported.endedAt, at: 7)
                    update.bind(imported.summary.map(JSONWriter.string), at: 8)
                    update.bind(runID, at: 9)
                    try update.run()
                } else {
                    let projectID = try Self.projectID(named: project ?? imported.project ?? "default", on: connection)
                    let insert = try connection.prepare(
                        "INSERT INTO runs (project_id, name, status, config, tags, started_at, ended_at, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
                    )
                    insert.bind(projectID, at: 1)
                    insert.bind(
                        try Self.availableName(
                            name ?? imported.name, projectID: projectID, except: nil, on: connection), at: 2)
                    insert.bind(imported.status.rawValue, at: 3)
                    insert.bind(config, at: 4)
                    insert.bind(tags, at: 5)
                    insert.bind(startedAt, at: 6)
                    insert.bind(imported.endedAt, at: 7)
                    insert.bind(imported.summary.map(JSONWriter.string), at: 8)
                    runID = try insert.insertReturningID()
                }
                try Self.insertPoints(imported.metrics, runID: runID, state: state)
                // What is stored: a key logged twice at a step (Lightning's epoch on its training
                // and validation rows) is one point.
                let counted = try connection.prepare("SELECT COUNT(*) FROM metric_points WHERE run_id = ?")
                counted.bind(runID, at: 1)
                _ = try counted.step()
                let points = Int(counted.int64(at: 0))
                let record = try connection.prepare(
                    """
                    INSERT INTO run_imports (run_id, format, source_path, source_run_id, points, partial, imported_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (run_id) DO UPDATE SET format = excluded.format, source_path = excluded.source_path,
                        source_run_id = excluded.source_run_id, points = excluded.points, partial = excluded.partial,
                        imported_at = excluded.imported_at
                    """)
                record.bind(runID, at: 1)
                record.bind(imported.format.rawValue, at: 2)
                record.bind(imported.sourcePath, at: 3)
                record.bind(imported.sourceRunID, at: 4)
                record.bind(points, at: 5)
                record.bind(imported.partial, at: 6)
                record.bind(WallClock.now(), at: 7)
                try record.run()
                state.forgetRun(runID)
                guard let stored = try RunQueries.record(id: runID, on: connection) else {
                    throw EngineError.unknownRun("\(runID)")
                }
                return StoredImport(run: stored, created: previousID == nil, points: points)
            }
        }
    }

    /// `name`, or the first of `name-2`, `name-3`... no other run of the project has.
    static func availableName(
        _ name: String, projectID: Int64, except runID: Int64?, on connection: any DatabaseConnection
    ) throws -> String {
        guard !name.isEmpty else { throw EngineError.invalidArgument(field: "name", reason: "must not be empty") }
        let taken = try connection.prepare(
            "SELECT 1 FROM runs WHERE project_id = ? AND name = ? AND id <> COALESCE(?, -1)")
        var candidate = name
        var suffix = 1
        while true {
            taken.reset()
            taken.bind(projectID, at: 1)
            taken.bind(candidate, at: 2)
            taken.bind(runID, at: 3)
            if try !taken.step() { return candidate }
            suffix += 1
            candidate = "\(name)-\(suffix)"
        }
    }

    /// Points in step order, 500 rows per statement; a point logged twice at a step keeps the last.
    private static func insertPoints(_ metrics: ImportedMetrics, runID: Int64, state: StoreWriter) throws {
        var order = metrics.orderByStep()
        // One PostgreSQL statement may not write a row twice (SQLite's upsert takes the last).
        if state.connection.dialect == .postgresql { order = metrics.lastOfEachStep(order) }
        var keyIDs: [Int64] = []
        var firstSteps = [Int64?](repeating: nil, count: metrics.keys.count)
        for key in metrics.keys { keyIDs.append(try state.keyID(for: key)) }
        for index in order where firstSteps[Int(metrics.keyIndices[index])] == nil {
            firstSteps[Int(metrics.keyIndices[index])] = metrics.steps[index]
        }
        // Keys in the order the run first logged them, as live runs record them.
        let insertKey = try state.statement(
            "INSERT INTO run_metric_keys (run_id, key_id, first_step) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        for (slot, firstStep) in firstSteps.enumerated() {
            guard let firstStep else { continue }
            insertKey.reset()
            insertKey.bind(runID, at: 1)
            insertKey.bind(keyIDs[slot], at: 2)
            insertKey.bind(firstStep, at: 3)
            try insertKey.run()
        }
        var start = 0
        while start < order.count {
            let end = min(start + 500, order.count)
            let insert = try state.insertPointsStatement(count: end - start)
            insert.reset()
            for position in start..<end {
                let index = order[position]
                let base = Int32((position - start) * 6)
                insert.bind(runID, at: base + 1)
                insert.bind(keyIDs[Int(metrics.keyIndices[index])], at: base + 2)
                insert.bind(metrics.steps[index], at: base + 3)
                insert.bind(metrics.values[index], at: base + 4)
                insert.bind(metrics.times[index], at: base + 5)
                insert.bind(Int64(0), at: base + 6)
            }
            try insert.run()
            start = end
        }
    }
}
