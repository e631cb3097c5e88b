import RunclinicJSON

extension RunStore {
    /// Creates a run, or resumes the run of that name in the project (its steps continue).
    public func startRun(project: String?, name: String, config: JSONValue?, tags: [String]) throws -> RunStart {
        guard !name.isEmpty else { throw EngineError.invalidArgument(field: "name", reason: "must not be empty") }
        let projectName = project ?? "default"
        return try write { state in
            // Two servers on one PostgreSQL store may start the same new run at once: the second's
            // insert breaks the unique name and is undone, and trying again resumes the first's run.
            try state.retryingUniqueConflicts {
                try state.writeNow {
                    let connection = state.connection
                    let projectID = try Self.projectID(named: projectName, on: connection)
                    let existing = try connection.prepare("SELECT id, tags FROM runs WHERE project_id = ? AND name = ?")
                    existing.bind(projectID, at: 1)
                    existing.bind(name, at: 2)
                    let now = WallClock.now()
                    if try existing.step() {
                        let id = existing.int64(at: 0)
                        let oldTags =
                            existing.text(at: 1).flatMap { try? JSONParser.parse($0) }?.arrayValue?.compactMap(
                                \.stringValue) ?? []
                        let mergedTags = oldTags + tags.filter { !oldTags.contains($0) }
                        let update = try connection.prepare(
                            "UPDATE runs SET status = 'running', ended_at = NULL, config = COALESCE(?, config), tags = ? WHERE id = ?"
                        )
                        update.bind(config.map(JSONWriter.string), at: 1)
                        update.bind(JSONWriter.string(JSONValue(mergedTags)), at: 2)
                        update.bind(id, at: 3)
                        try update.run()
                        state.forgetRun(id)
                        let cache = try state.cachedRun(id)
                        return RunStart(run: cache.record, resumed: true, lastStep: cache.lastStep)
                    }
                    let insert = try connection.prepare(
                        "INSERT INTO runs (project_id, name, status, config, tags, started_at) VALUES (?, ?, 'running', ?, ?, ?) RETURNING id"
                    )
                    insert.bind(projectID, at: 1)
                    insert.bind(name, at: 2)
                    insert.bind(config.map(JSONWriter.string), at: 3)
                    insert.bind(JSONWriter.string(JSONValue(tags)), at: 4)
                    insert.bind(now, at: 5)
                    let cache = try state.cachedRun(try insert.insertReturningID())
                    return RunStart(run: cache.record, resumed: false, lastStep: nil)
                }
            }
        }
    }

    static func projectID(named name: String, on connection: any DatabaseConnection) throws -> Int64 {
        let insert = try connection.prepare(
            "INSERT INTO projects (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING")
        insert.bind(name, at: 1)
        insert.bind(WallClock.now(), at: 2)
        try insert.run()
        let select = try connection.prepare("SELECT id FROM projects WHERE name = ?")
        select.bind(name, at: 1)
        _ = try select.step()
        return select.int64(at: 0)
    }

    /// Ends a running run with `finished`, `failed` or `killed`.
    @discardableResult
    public func finishRun(_ reference: RunReference, status: RunStatus = .finished) throws -> RunRecord {
        guard status != .running else {
            throw EngineError.invalidArgument(
                field: "status", reason: "expected one of finished, failed, killed, got \"running\"")
        }
        return try write { state in
            try state.writeNow {
                let cache = try state.runForWriting(reference)
                let update = try state.connection.prepare("UPDATE runs SET status = ?, ended_at = ? WHERE id = ?")
                let now = WallClock.now()
                update.bind(status.rawValue, at: 1)
                update.bind(now, at: 2)
                update.bind(cache.record.id, at: 3)
                try update.run()
                cache.record.status = status
                cache.record.endedAt = now
                return cache.record
            }
        }
    }

    public func listRuns(project: String? = nil, status: RunStatus? = nil, limit: Int? = nil) throws -> [RunRecord] {
        try read { connection in try RunQueries.list(project: project, status: status, limit: limit, on: connection) }
    }

    public func run(_ reference: RunReference) throws -> RunRecord {
        try read { connection in try resolveForReading(reference, on: connection) }
    }

    public func runDetails(_ reference: RunReference) throws -> RunDetails {
        try read { connection in
            let run = try resolveForReading(reference, on: connection)
            let keys = try RunQueries.metricKeys(runID: run.id, on: connection).map(\.name)
            // The last step of the current attempt (a rollback replays steps under the next one).
            let lastStep = try connection.prepare(
                "SELECT MAX(step) FROM metric_points WHERE run_id = ? AND attempt = (SELECT attempt FROM runs WHERE id = ?)"
            )
            lastStep.bind(run.id, at: 2)
            lastStep.bind(run.id, at: 1)
            _ = try lastStep.step()
            let ranking = try CheckpointQueries.ranked(run: run, on: connection)
            return RunDetails(
                run: run,
                metricKeys: keys,
                lastStep: lastStep.optionalInt64(at: 0),
                pointCount: try RunQueries.count(
                    "SELECT COUNT(*) FROM metric_points WHERE run_id = ?", runID: run.id, on: connection),
                batchCount: try RunQueries.count(
                    "SELECT COUNT(*) FROM batches WHERE run_id = ?", runID: run.id, on: connection),
                checkpointCount: ranking.checkpoints.count,
                bestCheckpoint: ranking.best
            )
        }
    }
}

extension RunStore {
    /// The last value of each metric in the run's current attempt (NaN where that point is NaN),
    /// and the attempt's last step: how the run ended.
    public func finalValues(_ reference: RunReference) throws -> (values: [String: Double], lastStep: Int64?) {
        try read { connection in
            let run = try resolveForReading(reference, on: connection)
            // Each key's last step found in one pass over the attempt's points (a subquery per point
            // would be quadratic where the planner runs it per row, as PostgreSQL's does).
            let query = try connection.prepare(
                """
                SELECT k.name, p.value, p.step
                FROM (SELECT key_id, MAX(step) AS step FROM metric_points
                      WHERE run_id = ?1 AND attempt = (SELECT attempt FROM runs WHERE id = ?1) GROUP BY key_id) AS last
                JOIN metric_points AS p ON p.run_id = ?1 AND p.attempt = (SELECT attempt FROM runs WHERE id = ?1)
                 AND p.key_id = last.key_id AND p.step = last.step
                JOIN metric_keys AS k ON k.id = last.key_id
                """)
            query.bind(run.id, at: 1)
            var values: [String: Double] = [:]
            var lastStep: Int64? = nil
            while try query.step() {
                values[query.text(at: 0) ?? ""] = query.optionalDouble(at: 1) ?? .nan
                lastStep = max(lastStep ?? Int64.min, query.int64(at: 2))
            }
            return (values, lastStep)
        }
    }
}
