import RunclinicJSON

/// What was stored since a watcher last looked: read by position, so a dashboard follows runs that
/// trainers in other processes log, without reading whole series again.
extension RunStore {
    /// Where a run's points were last read up to: points of a later attempt (the steps replayed
    /// after a rollback), or of a later step within the same attempt, are new.
    public struct PointPosition: Sendable, Equatable {
        public var attempt: Int64
        public var step: Int64

        public init(attempt: Int64, step: Int64) {
            self.attempt = attempt
            self.step = step
        }

        public static let start = PointPosition(attempt: Int64.min, step: Int64.min)
    }

    /// One step's new values.
    public struct NewPoints: Sendable {
        public let attempt: Int64
        public let step: Int64
        public let time: Double
        public let values: [MetricValue]
    }

    /// A monitor finding or action stored with its row id (ids only grow).
    public struct StoredEvent: Sendable {
        public let id: Int64
        public let runID: Int64
        public let step: Int64
        public let detail: JSONValue
    }

    /// The points of a run stored after `position`, a step per entry, at most `limit` steps,
    /// and the position to read from next.
    public func points(
        runID: Int64, after position: PointPosition, limit: Int
    ) throws -> (points: [NewPoints], next: PointPosition) {
        try read { connection in
            let keys = Dictionary(
                uniqueKeysWithValues: try RunQueries.metricKeys(runID: runID, on: connection).map { ($0.id, $0.name) })
            let query = try connection.prepare(
                """
                SELECT attempt, step, key_id, value, time FROM metric_points
                WHERE run_id = ?1 AND (attempt > ?2 OR (attempt = ?2 AND step > ?3))
                ORDER BY attempt, step LIMIT ?4
                """)
            query.bind(runID, at: 1)
            query.bind(position.attempt, at: 2)
            query.bind(position.step, at: 3)
            // Rows, not steps: a step holds a row per metric (at most), and a step must not be cut.
            let rowLimit = Int64(limit) * Int64(max(keys.count, 1))
            query.bind(rowLimit, at: 4)
            var result: [NewPoints] = []
            var current: (attempt: Int64, step: Int64, time: Double, values: [MetricValue])? = nil
            var rows: Int64 = 0
            while try query.step() {
                rows += 1
                let attempt = query.int64(at: 0)
                let step = query.int64(at: 1)
                if let open = current, open.attempt != attempt || open.step != step {
                    result.append(
                        NewPoints(attempt: open.attempt, step: open.step, time: open.time, values: open.values))
                    current = nil
                }
                if current == nil { current = (attempt, step, query.double(at: 4), []) }
                current!.values.append(MetricValue(keys[query.int64(at: 2)] ?? "?", query.doubleOrNaN(at: 3)))
            }
            // When the limit cut the rows, the last step may be partial: it is read again next time.
            if let open = current, rows < rowLimit || result.isEmpty {
                result.append(NewPoints(attempt: open.attempt, step: open.step, time: open.time, values: open.values))
            }
            let next = result.last.map { PointPosition(attempt: $0.attempt, step: $0.step) } ?? position
            return (result, next)
        }
    }

    /// The anomalies (or actions) stored after row `id`, oldest first, at most `limit`.
    public func events(_ kind: EventKind, after id: Int64, limit: Int) throws -> [StoredEvent] {
        try read { connection in
            let query = try connection.prepare(
                "SELECT id, run_id, step, detail FROM \(kind.rawValue) WHERE id > ? ORDER BY id LIMIT ?")
            query.bind(id, at: 1)
            query.bind(Int64(limit), at: 2)
            var events: [StoredEvent] = []
            while try query.step() {
                guard let text = query.text(at: 3), let detail = try? JSONParser.parse(text) else { continue }
                events.append(
                    StoredEvent(
                        id: query.int64(at: 0), runID: query.int64(at: 1), step: query.int64(at: 2), detail: detail))
            }
            return events
        }
    }

    /// The last row id of the anomalies (or actions): a watcher starts after it.
    public func lastEventID(_ kind: EventKind) throws -> Int64 {
        try read { connection in
            let query = try connection.prepare("SELECT coalesce(max(id), 0) FROM \(kind.rawValue)")
            _ = try query.step()
            return query.int64(at: 0)
        }
    }

    public enum EventKind: String, Sendable {
        case anomalies
        case actions
    }
}

extension RunStore {
    /// Where a run's points end now (nil: it has none).
    public func lastPointPosition(runID: Int64) throws -> PointPosition? {
        try read { connection in
            let query = try connection.prepare(
                "SELECT attempt, step FROM metric_points WHERE run_id = ? ORDER BY attempt DESC, step DESC LIMIT 1")
            query.bind(runID, at: 1)
            guard try query.step() else { return nil }
            return PointPosition(attempt: query.int64(at: 0), step: query.int64(at: 1))
        }
    }
}
