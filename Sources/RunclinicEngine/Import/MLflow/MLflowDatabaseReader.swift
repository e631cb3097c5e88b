import RunclinicJSON

/// Reads every run of an MLflow SQLite store (`mlflow.db`): runs, metrics, params and tags tables.
/// NaN is `value = 0, is_nan = 1`; MLflow stores ±Infinity as ±DBL_MAX, mapped back here.
struct MLflowDatabaseReader {
    let path: String

    static func isMLflowDatabase(_ path: String) -> Bool {
        guard let connection = try? SQLiteConnection(path: path, readOnly: true) else { return false }
        let tables =
            (try? connection.scalarText(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('runs', 'metrics', 'params', 'experiments', 'alembic_version')"
            )) ?? nil
        return tables == "5"
    }

    func read() throws -> [ImportedRun] {
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            // MLflow commits each call in rollback-journal mode: wait out a writer's lock.
            connection.setBusyTimeout(milliseconds: StoreSchema.busyTimeoutMilliseconds)
            try connection.execute("BEGIN")  // one consistent snapshot across the four tables
            let runs = try readRuns(connection)
            try connection.execute("COMMIT")
            return runs
        } catch {
            throw EngineError.unreadableSource(
                ImportSourceError(
                    file: path, offset: nil, reason: "not a readable MLflow database: \(error.description)"))
        }
    }

    private func readRuns(_ connection: SQLiteConnection) throws(DatabaseError) -> [ImportedRun] {
        var runs: [String: ImportedRun] = [:]
        var order: [String] = []
        let runQuery = try connection.prepare(
            """
            SELECT r.run_uuid, r.name, r.status, r.start_time, r.end_time, e.name
            FROM runs r LEFT JOIN experiments e ON e.experiment_id = r.experiment_id
            WHERE r.lifecycle_stage IS NOT 'deleted' ORDER BY r.start_time, r.run_uuid
            """)
        while try runQuery.step() {
            let id = runQuery.text(at: 0) ?? ""
            var run = ImportedRun(
                format: .mlflow, sourcePath: path, sourceRunID: id,
                name: runQuery.text(at: 1).flatMap { $0.isEmpty ? nil : $0 } ?? id)
            run.status = MLflowParams.status(runQuery.text(at: 2) ?? "FINISHED")
            run.startedAt = runQuery.optionalDouble(at: 3).map { $0 / 1000 }
            run.endedAt = runQuery.optionalDouble(at: 4).map { $0 / 1000 }
            run.project = runQuery.text(at: 5)
            runs[id] = run
            order.append(id)
        }
        let params = try connection.prepare("SELECT run_uuid, key, value FROM params ORDER BY run_uuid, key")
        var configs: [String: JSONObject] = [:]
        while try params.step() {
            guard let id = params.text(at: 0), runs[id] != nil, let key = params.text(at: 1) else { continue }
            configs[id, default: JSONObject()][key] = MLflowParams.value(params.text(at: 2) ?? "")
        }
        for (id, config) in configs { runs[id]?.config = .object(config) }
        let tags = try connection.prepare(
            "SELECT run_uuid, key, value FROM tags WHERE key NOT LIKE 'mlflow.%' ORDER BY run_uuid, key")
        while try tags.step() {
            guard let id = tags.text(at: 0), runs[id] != nil, let key = tags.text(at: 1) else { continue }
            runs[id]?.tags.append("\(key)=\(tags.text(at: 2) ?? "")")
        }
        // A nested run (a sweep's trial) names its parent run.
        let parents = try connection.prepare("SELECT run_uuid, value FROM tags WHERE key = 'mlflow.parentRunId'")
        while try parents.step() {
            guard let id = parents.text(at: 0), runs[id] != nil, let parentID = parents.text(at: 1) else { continue }
            let parentName = runs[parentID]?.name ?? parentID
            runs[id]?.tags.append("parent=\(parentName)")
        }
        let metrics = try connection.prepare(
            "SELECT run_uuid, key, value, timestamp, step, is_nan FROM metrics ORDER BY run_uuid, step, timestamp")
        var currentID: String?
        var current: ImportedMetrics?
        while try metrics.step() {
            let id = metrics.text(at: 0) ?? ""
            if id != currentID {
                if let currentID, let current { runs[currentID]?.metrics = current }
                currentID = id
                current = runs[id] != nil ? ImportedMetrics() : nil
            }
            guard current != nil else { continue }
            var value = metrics.double(at: 2)
            if metrics.int64(at: 5) != 0 {
                value = .nan
            } else if value == Double.greatestFiniteMagnitude {
                value = .infinity
            } else if value == -Double.greatestFiniteMagnitude {
                value = -.infinity
            }
            current!.append(
                metrics.text(at: 1) ?? "", step: metrics.int64(at: 4), value: value, time: metrics.double(at: 3) / 1000)
        }
        if let currentID, let current { runs[currentID]?.metrics = current }
        return order.compactMap { runs[$0] }
    }
}
