import RunclinicJSON

/// The audits a store holds, for a gallery to choose from, and which images it may show.
extension RunStore {
    public struct AuditRecord: Sendable {
        public let id: Int64
        public let roots: [String]
        public let dataset: String?
        public let images: Int
        public let startedAt: Double
        public let finishedAt: Double?
        public let counts: [(issue: ImageIssue, count: Int)]
    }

    /// Audits, newest first, each with its findings counted by issue.
    public func listAudits(limit: Int) throws -> [AuditRecord] {
        let audits: [(Int64, [String], String?, Int, Double, Double?)] = try read { connection in
            let query = try connection.prepare(
                "SELECT id, roots, dataset, images, started_at, finished_at FROM audits ORDER BY id DESC LIMIT ?")
            query.bind(limit, at: 1)
            var rows: [(Int64, [String], String?, Int, Double, Double?)] = []
            while try query.step() {
                let roots =
                    (try? JSONParser.parse(query.text(at: 1) ?? "[]"))?.arrayValue?.compactMap(\.stringValue) ?? []
                rows.append(
                    (
                        query.int64(at: 0), roots, query.text(at: 2), Int(query.int64(at: 3)), query.double(at: 4),
                        query.optionalDouble(at: 5)
                    ))
            }
            return rows
        }
        return try audits.map { row in
            AuditRecord(
                id: row.0, roots: row.1, dataset: row.2, images: row.3, startedAt: row.4, finishedAt: row.5,
                counts: try auditFindingCounts(auditID: row.0).map { ($0.issue, $0.count) })
        }
    }

    /// Whether the store has this image: audited, or named as a sample of a validation batch. A
    /// dashboard shows only these, never an arbitrary file.
    public func knowsImage(path: String) throws -> Bool {
        try read { connection in
            let inBatch =
                connection.dialect == .sqlite
                ? "SELECT 1 FROM batches, json_each(batches.samples) WHERE json_each.value = ?1 LIMIT 1"
                : "SELECT 1 FROM batches WHERE batches.samples::jsonb @> jsonb_build_array(?1::text) LIMIT 1"
            for sql in [
                "SELECT 1 FROM image_inspections WHERE path = ?1",
                "SELECT 1 FROM audit_images WHERE path = ?1 LIMIT 1",
                inBatch,
            ] {
                let query = try connection.prepare(sql)
                query.bind(path, at: 1)
                if try query.step() { return true }
            }
            return false
        }
    }
}
