import RunclinicJSON
import RunclinicText

/// Read queries about runs, usable on either connection.
enum RunQueries {
    static let selectRun = """
        SELECT runs.id, projects.name, runs.name, runs.status, runs.config, runs.tags, runs.started_at, runs.ended_at,
        runs.summary
        FROM runs JOIN projects ON projects.id = runs.project_id
        """

    static func decodeRun(_ row: any DatabaseStatement) -> RunRecord {
        let config = row.text(at: 4).flatMap { try? JSONParser.parse($0) }
        let tags = row.text(at: 5).flatMap { try? JSONParser.parse($0) }?.arrayValue?.compactMap(\.stringValue) ?? []
        return RunRecord(
            id: row.int64(at: 0),
            project: row.text(at: 1) ?? "",
            name: row.text(at: 2) ?? "",
            status: RunStatus(rawValue: row.text(at: 3) ?? "") ?? .running,
            config: config,
            tags: tags,
            startedAt: row.double(at: 6),
            endedAt: row.optionalDouble(at: 7),
            summary: row.text(at: 8).flatMap { try? JSONParser.parse($0) }
        )
    }

    static func record(id: Int64, on connection: any DatabaseConnection) throws -> RunRecord? {
        let query = try connection.prepare(selectRun + " WHERE runs.id = ?")
        query.bind(id, at: 1)
        return try query.step() ? decodeRun(query) : nil
    }

    /// The run name (in the project, when given) nearest to a mistyped one.
    static func nearestName(to name: String, project: String?, on connection: any DatabaseConnection) throws -> String?
    {
        let query: any DatabaseStatement
        if let project {
            query = try connection.prepare(
                "SELECT runs.name FROM runs JOIN projects ON projects.id = runs.project_id WHERE projects.name = ?")
            query.bind(project, at: 1)
        } else {
            query = try connection.prepare("SELECT name FROM runs")
        }
        var names: [String] = []
        while try query.step() { names.append(query.text(at: 0) ?? "") }
        return ClosestName.closest(to: name, among: names)
    }

    static func resolve(name: String, project: String?, on connection: any DatabaseConnection) throws -> Int64 {
        let query: any DatabaseStatement
        if let project {
            query = try connection.prepare(selectRun + " WHERE runs.name = ? AND projects.name = ?")
            query.bind(project, at: 2)
        } else {
            query = try connection.prepare(selectRun + " WHERE runs.name = ? ORDER BY runs.id")
        }
        query.bind(name, at: 1)
        var matches: [RunRecord] = []
        while try query.step() { matches.append(decodeRun(query)) }
        if matches.count == 1 { return matches[0].id }
        if matches.isEmpty {
            // A name made of digits that matches no run name is an id given as a string.
            if project == nil, let id = Int64(name), try record(id: id, on: connection) != nil { return id }
            throw EngineError.unknownRun(
                project.map { "\($0)/\(name)" } ?? name,
                suggestion: try nearestName(to: name, project: project, on: connection))
        }
        throw EngineError.ambiguousRun(name: name, projects: matches.map(\.project))
    }

    static func list(project: String?, status: RunStatus?, limit: Int?, on connection: any DatabaseConnection) throws
        -> [RunRecord]
    {
        var sql = selectRun
        var conditions: [String] = []
        if project != nil { conditions.append("projects.name = ?") }
        if status != nil { conditions.append("runs.status = ?") }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY runs.id DESC"
        if let limit { sql += " LIMIT \(max(0, limit))" }
        let query = try connection.prepare(sql)
        var index: Int32 = 1
        if let project {
            query.bind(project, at: index)
            index += 1
        }
        if let status { query.bind(status.rawValue, at: index) }
        var runs: [RunRecord] = []
        while try query.step() { runs.append(decodeRun(query)) }
        return runs
    }

    /// The run's metric keys in the order it first logged them.
    static func metricKeys(runID: Int64, on connection: any DatabaseConnection) throws -> [(id: Int64, name: String)] {
        let query = try connection.prepare(
            """
            SELECT metric_keys.id, metric_keys.name FROM run_metric_keys
            JOIN metric_keys ON metric_keys.id = run_metric_keys.key_id
            WHERE run_metric_keys.run_id = ? ORDER BY run_metric_keys.rowid
            """)
        query.bind(runID, at: 1)
        var keys: [(Int64, String)] = []
        while try query.step() { keys.append((query.int64(at: 0), query.text(at: 1) ?? "")) }
        return keys
    }

    static func count(_ sql: String, runID: Int64, on connection: any DatabaseConnection) throws -> Int {
        let query = try connection.prepare(sql)
        query.bind(runID, at: 1)
        _ = try query.step()
        return Int(query.int64(at: 0))
    }
}
