import Foundation
import RunclinicJSON

/// The audit's tables: the inspection cache, audits and their findings.
extension RunStore {
    struct CachedInspection {
        let size: Int
        let mtime: Double
        let contentHash: UInt64
        let inspection: ImageInspection
    }

    func cachedInspections(paths: [String]) throws -> [String: CachedInspection] {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try read { connection in
            let query = try connection.prepare("SELECT size, mtime, content_hash, inspection, thumbnail FROM image_inspections WHERE path = ?")
            var found: [String: CachedInspection] = [:]
            for path in paths {
                query.reset()
                query.bind(path, at: 1)
                guard try query.step(), let text = query.text(at: 3),
                      var inspection = try? decoder.decode(ImageInspection.self, from: Data(text.utf8)),
                      inspection.version == ImageInspection.currentVersion else { continue }
                // The thumbnail lives in its own column (the JSON would be four times larger).
                if inspection.measures != nil { inspection.measures?.thumbnail = Data(query.blob(at: 4) ?? []) }
                found[path] = CachedInspection(size: Int(query.int64(at: 0)), mtime: query.double(at: 1),
                                               contentHash: UInt64(bitPattern: query.int64(at: 2)), inspection: inspection)
            }
            return found
        }
    }

    func storeInspections(_ entries: [(path: String, size: Int, mtime: Double, contentHash: UInt64, inspection: ImageInspection)]) throws {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        try write { state in
            try state.writeNow {
                let insert = try state.statement("""
                    INSERT OR REPLACE INTO image_inspections (path, size, mtime, content_hash, inspection, inspected_at, thumbnail, thumbnail_range)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                let now = WallClock.now()
                for entry in entries {
                    insert.bind(entry.path, at: 1)
                    insert.bind(entry.size, at: 2)
                    insert.bind(entry.mtime, at: 3)
                    insert.bind(Int64(bitPattern: entry.contentHash), at: 4)
                    var stored = entry.inspection
                    stored.measures?.thumbnail = Data()  // kept in the thumbnail column
                    insert.bind(String(decoding: try encoder.encode(stored), as: UTF8.self), at: 5)
                    insert.bind(now, at: 6)
                    insert.bind(entry.inspection.measures.map { Array($0.thumbnail) }, at: 7)
                    insert.bind(entry.inspection.measures?.thumbnailRange, at: 8)
                    try insert.run()
                }
            }
        }
    }

    /// The stored thumbnails of these images, and the grey levels each spanned.
    func thumbnails(paths: [String]) throws -> [String: (bytes: [UInt8], range: Double)] {
        try read { connection in
            let query = try connection.prepare("SELECT thumbnail, thumbnail_range FROM image_inspections WHERE path = ?")
            var found: [String: (bytes: [UInt8], range: Double)] = [:]
            for path in paths {
                query.reset()
                query.bind(path, at: 1)
                if try query.step(), let bytes = query.blob(at: 0) { found[path] = (bytes, query.double(at: 1)) }
            }
            return found
        }
    }

    func recordAudit(roots: [String], dataset: String?, thresholds: String, images: Int, reused: Int, startedAt: Double,
                     findings: [AuditFinding]) throws -> Int64 {
        try write { state in
            try state.writeNow {
                let audit = try state.statement("""
                    INSERT INTO audits (roots, dataset, thresholds, images, reused, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
                audit.bind(JSONWriter.string(JSONValue(roots)), at: 1)
                audit.bind(dataset, at: 2)
                audit.bind(thresholds, at: 3)
                audit.bind(images, at: 4)
                audit.bind(reused, at: 5)
                audit.bind(startedAt, at: 6)
                audit.bind(WallClock.now(), at: 7)
                try audit.run()
                let auditID = state.connection.lastInsertRowID
                let insert = try state.statement("""
                    INSERT INTO audit_findings (audit_id, path, issue, severity, score, threshold, detail, image_group)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for finding in findings {
                    insert.bind(auditID, at: 1)
                    insert.bind(finding.path, at: 2)
                    insert.bind(finding.issue.rawValue, at: 3)
                    insert.bind(finding.severity.rawValue, at: 4)
                    insert.bind(finding.score, at: 5)
                    insert.bind(finding.threshold, at: 6)
                    insert.bind(finding.detail, at: 7)
                    insert.bind(finding.group, at: 8)
                    try insert.run()
                }
                return auditID
            }
        }
    }

    /// One page of an audit's findings, in path order.
    public func auditFindings(auditID: Int64, issue: ImageIssue?, offset: Int, limit: Int) throws -> (findings: [AuditFinding], total: Int) {
        try read { connection in
            let exists = try connection.prepare("SELECT 1 FROM audits WHERE id = ?")
            exists.bind(auditID, at: 1)
            guard try exists.step() else { throw EngineError.invalidArgument(field: "audit_id", reason: "no audit \(auditID)") }
            let filter = issue == nil ? "" : " AND issue = ?"
            let count = try connection.prepare("SELECT COUNT(*) FROM audit_findings WHERE audit_id = ?\(filter)")
            count.bind(auditID, at: 1)
            if let issue { count.bind(issue.rawValue, at: 2) }
            _ = try count.step()
            let total = Int(count.int64(at: 0))
            let query = try connection.prepare("""
                SELECT path, issue, severity, score, threshold, detail, image_group FROM audit_findings
                WHERE audit_id = ?\(filter) ORDER BY path, rowid LIMIT ? OFFSET ?
                """)
            query.bind(auditID, at: 1)
            var index: Int32 = 2
            if let issue { query.bind(issue.rawValue, at: index); index += 1 }
            query.bind(limit, at: index)
            query.bind(offset, at: index + 1)
            var findings: [AuditFinding] = []
            while try query.step() {
                var finding = AuditFinding(
                    path: query.text(at: 0) ?? "", issue: ImageIssue(rawValue: query.text(at: 1) ?? "") ?? .unreadable,
                    severity: AnomalySeverity(rawValue: query.text(at: 2) ?? "") ?? .warning,
                    score: query.optionalDouble(at: 3), threshold: query.optionalDouble(at: 4), detail: query.text(at: 5) ?? "")
                finding.group = query.text(at: 6)
                findings.append(finding)
            }
            return (findings, total)
        }
    }
}
