import RunclinicJSON

extension RunStore {
    /// Stores what the monitor saw and advised, with the same durability as the call behind it.
    public func recordVerdict(
        runID: Int64, step: Int64, anomalies: [Anomaly], action: RecoveryAction?, durability: Durability
    ) throws {
        let window = commitWindow
        try write { state in
            try state.beginIfNeeded()
            let now = WallClock.now()
            for anomaly in anomalies {
                try state.writeKept(
                    "INSERT INTO anomalies (run_id, step, type, metric, severity, detail, time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        .integer(runID), .integer(anomaly.step), .text(anomaly.type.rawValue),
                        DatabaseValue(anomaly.metric),
                        .text(anomaly.severity.rawValue), .text(JSONWriter.string(anomaly.json)), .real(now),
                    ])
            }
            if let action {
                try state.writeKept(
                    "INSERT INTO actions (run_id, step, kind, detail, time) VALUES (?, ?, ?, ?, ?)",
                    [
                        .integer(runID), .integer(step), .text(action.kind.rawValue),
                        .text(JSONWriter.string(action.json)), .real(now),
                    ])
                if action.kind == .rollback, let checkpoint = action.checkpoint {
                    try state.expectRewind(try state.cachedRun(runID), toStep: checkpoint.step)
                }
            }
            try state.finish(durability, window: window)
        }
    }

    /// The anomalies stored for a run, oldest first, as JSON objects.
    public func anomalies(run reference: RunReference, minimumSeverity: AnomalySeverity = .info) throws -> [JSONValue] {
        let severities = AnomalySeverity.allCases.filter { $0 >= minimumSeverity }.map { "'\($0.rawValue)'" }.joined(
            separator: ", ")
        return try details(
            of: reference,
            sql: "SELECT detail FROM anomalies WHERE run_id = ? AND severity IN (\(severities)) ORDER BY id")
    }

    /// The actions advised for a run, oldest first, as JSON objects.
    public func actions(run reference: RunReference) throws -> [JSONValue] {
        try details(of: reference, sql: "SELECT detail FROM actions WHERE run_id = ? ORDER BY id")
    }

    /// The `detail` JSON column of the rows `sql` selects for the run.
    private func details(of reference: RunReference, sql: String) throws -> [JSONValue] {
        try read { connection in
            let run = try resolveForReading(reference, on: connection)
            let query = try connection.prepare(sql)
            query.bind(run.id, at: 1)
            var rows: [JSONValue] = []
            while try query.step() {
                if let detail = query.text(at: 0), let value = try? JSONParser.parse(detail) { rows.append(value) }
            }
            return rows
        }
    }

    /// How many rollbacks were advised to a run (recovery bookkeeping after a restart).
    public func rollbackCount(runID: Int64) throws -> Int {
        try read { connection in
            try RunQueries.count(
                "SELECT COUNT(*) FROM actions WHERE run_id = ? AND kind = 'rollback'", runID: runID, on: connection)
        }
    }

    /// The highest live incident id stored for a run (0 when none): numbering goes on after a restart.
    public func lastIncident(runID: Int64) throws -> Int64 {
        try read { connection in
            // Ids grow with the rows, so the last row that has one holds the highest. The detail is
            // read with our own JSON codec: it may hold NaN, which SQLite's JSON functions refuse.
            let query = try connection.prepare(
                "SELECT detail FROM anomalies WHERE run_id = ? AND detail LIKE '%\"incident\":%' ORDER BY id DESC LIMIT 1"
            )
            query.bind(runID, at: 1)
            guard try query.step(), let text = query.text(at: 0), let detail = try? JSONParser.parse(text) else {
                return 0
            }
            return detail["incident"]?.intValue ?? 0
        }
    }

    /// The step a rollback advised the run back to, while the trainer has not stepped back yet.
    public func pendingRewind(runID: Int64) throws -> Int64? {
        try read { connection in
            let query = try connection.prepare("SELECT rewind_to_step FROM runs WHERE id = ?")
            query.bind(runID, at: 1)
            return try query.step() ? query.optionalInt64(at: 0) : nil
        }
    }

    /// Replaces the run's configuration (monitor.configure).
    public func updateConfig(runID: Int64, config: JSONValue) throws {
        try write { state in
            try state.writeNow {
                let update = try state.statement("UPDATE runs SET config = ? WHERE id = ?")
                update.bind(JSONWriter.string(config), at: 1)
                update.bind(runID, at: 2)
                try update.run()
                state.forgetRun(runID)
            }
        }
    }

    /// Records an alert's delivery to a webhook or by email: delivered, failed or dropped.
    public func recordDelivery(
        runID: Int64, target: String, status: String, attempts: Int, error: String, payload: String
    ) throws {
        try write { state in
            try state.writeNow {
                let insert = try state.statement(
                    "INSERT INTO alert_deliveries (run_id, target, status, attempts, error, payload, time) VALUES (?, ?, ?, ?, ?, ?, ?)"
                )
                insert.bind(runID, at: 1)
                insert.bind(target, at: 2)
                insert.bind(status, at: 3)
                insert.bind(attempts, at: 4)
                insert.bind(error, at: 5)
                insert.bind(payload, at: 6)
                insert.bind(WallClock.now(), at: 7)
                try insert.run()
            }
        }
    }
}
