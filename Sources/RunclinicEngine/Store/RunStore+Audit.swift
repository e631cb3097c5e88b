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
        return try read { connection in
            let query = try connection.prepare(
                "SELECT size, mtime, content_hash, inspection, thumbnail, keypoints FROM image_inspections WHERE path = ?"
            )
            var found: [String: CachedInspection] = [:]
            for path in paths {
                query.reset()
                query.bind(path, at: 1)
                guard try query.step(), let text = query.text(at: 3),
                    var inspection = try? ImageInspection(jsonBytes: Array(text.utf8)),
                    inspection.version == ImageInspection.currentVersion
                else { continue }
                // The thumbnail lives in its own column (the JSON would be four times larger).
                // So do the keypoints.
                if inspection.measures != nil {
                    inspection.measures?.thumbnail = Data(query.blob(at: 4) ?? [])
                    inspection.measures?.keypoints = query.blob(at: 5).map { Data($0) }
                }
                found[path] = CachedInspection(
                    size: Int(query.int64(at: 0)), mtime: query.double(at: 1),
                    contentHash: UInt64(bitPattern: query.int64(at: 2)), inspection: inspection)
            }
            return found
        }
    }

    /// Starts an audit's record; its images and findings are added chunk by chunk.
    func beginAudit(roots: [String], dataset: String?, thresholds: String, startedAt: Double) throws -> Int64 {
        try write { state in
            try state.writeNow {
                let audit = try state.statement(
                    "INSERT INTO audits (roots, dataset, thresholds, started_at) VALUES (?, ?, ?, ?) RETURNING id")
                audit.bind(JSONWriter.string(JSONValue(roots)), at: 1)
                audit.bind(dataset, at: 2)
                audit.bind(thresholds, at: 3)
                audit.bind(startedAt, at: 4)
                return try audit.insertReturningID()
            }
        }
    }

    /// One chunk of an audit, in one transaction: the new inspections (for later audits), the
    /// images as the dataset-wide checks need them, and the findings judged from each image.
    func storeAuditChunk(
        auditID: Int64,
        inspections: [(path: String, size: Int, mtime: Double, contentHash: UInt64, inspection: ImageInspection)],
        images: [DatasetChecks.Image], findings: [AuditFinding]
    ) throws {
        try write { state in
            try state.writeNow {
                let insert = try state.statement(
                    """
                    INSERT INTO image_inspections (path, size, mtime, content_hash, inspection, inspected_at, thumbnail, thumbnail_range, keypoints)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime,
                        content_hash = excluded.content_hash, inspection = excluded.inspection,
                        inspected_at = excluded.inspected_at, thumbnail = excluded.thumbnail,
                        thumbnail_range = excluded.thumbnail_range, keypoints = excluded.keypoints
                    """)
                let now = WallClock.now()
                for entry in inspections {
                    insert.bind(entry.path, at: 1)
                    insert.bind(entry.size, at: 2)
                    insert.bind(entry.mtime, at: 3)
                    insert.bind(Int64(bitPattern: entry.contentHash), at: 4)
                    var stored = entry.inspection
                    stored.measures?.thumbnail = Data()  // kept in the thumbnail column
                    stored.measures?.keypoints = nil  // and these in the keypoints column
                    stored.contentHash = nil  // and this in content_hash
                    insert.bind(String(decoding: stored.jsonBytes(), as: UTF8.self), at: 5)
                    insert.bind(now, at: 6)
                    insert.bind(entry.inspection.measures.map { Array($0.thumbnail) }, at: 7)
                    insert.bind(entry.inspection.measures?.thumbnailRange, at: 8)
                    insert.bind(entry.inspection.measures?.keypoints.map { Array($0) }, at: 9)
                    try insert.run()
                }
                let image = try state.statement(
                    """
                    INSERT INTO audit_images (audit_id, path, readable, size, content_hash, width, height, difference_hash, average_hash, text_marks, perceptual_hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for entry in images {
                    image.bind(auditID, at: 1)
                    image.bind(entry.path, at: 2)
                    image.bind(entry.readable ? 1 : 0, at: 3)
                    image.bind(entry.size, at: 4)
                    image.bind(Int64(bitPattern: entry.contentHash), at: 5)
                    image.bind(entry.width.map(Int64.init), at: 6)
                    image.bind(entry.height.map(Int64.init), at: 7)
                    image.bind(entry.differenceHash.map { Int64(bitPattern: $0) }, at: 8)
                    image.bind(entry.averageHash.map { Int64(bitPattern: $0) }, at: 9)
                    image.bind(entry.textMarks.map(Int64.init), at: 10)
                    image.bind(entry.perceptualHash.map { Int64(bitPattern: $0) }, at: 11)
                    try image.run()
                }
                try Self.insert(findings, auditID: auditID, state: state)
            }
        }
    }

    /// Findings of the dataset-wide checks.
    func addAuditFindings(auditID: Int64, _ findings: [AuditFinding]) throws {
        guard !findings.isEmpty else { return }
        try write { state in try state.writeNow { try Self.insert(findings, auditID: auditID, state: state) } }
    }

    private static func insert(_ findings: [AuditFinding], auditID: Int64, state: StoreWriter) throws {
        let insert = try state.statement(
            """
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
    }

    func finishAudit(auditID: Int64, images: Int, reused: Int, fingerprint: UInt64) throws {
        try write { state in
            try state.writeNow {
                let audit = try state.statement(
                    "UPDATE audits SET images = ?, reused = ?, finished_at = ?, fingerprint = ? WHERE id = ?")
                audit.bind(images, at: 1)
                audit.bind(reused, at: 2)
                audit.bind(WallClock.now(), at: 3)
                audit.bind(Int64(bitPattern: fingerprint), at: 4)
                audit.bind(auditID, at: 5)
                try audit.run()
            }
        }
    }

    /// Copies the dataset-wide findings of the latest finished audit with this fingerprint;
    /// false when there is none.
    func copyDatasetFindings(fingerprint: UInt64, to auditID: Int64) throws -> Bool {
        try write { state in
            try state.writeNow {
                let earlier = try state.statement(
                    """
                    SELECT id FROM audits WHERE fingerprint = ? AND finished_at IS NOT NULL AND id != ? ORDER BY id DESC LIMIT 1
                    """)
                // A cached statement: reset, or it would go on from where the last audit left it.
                earlier.reset()
                defer { earlier.reset() }
                earlier.bind(Int64(bitPattern: fingerprint), at: 1)
                earlier.bind(auditID, at: 2)
                guard try earlier.step() else { return false }
                let source = earlier.int64(at: 0)
                let issues = ImageIssue.datasetWide.map { "'\($0.rawValue)'" }.joined(separator: ", ")
                let copy = try state.statement(
                    """
                    INSERT INTO audit_findings (audit_id, path, issue, severity, score, threshold, detail, image_group)
                    SELECT ?, path, issue, severity, score, threshold, detail, image_group FROM audit_findings
                    WHERE audit_id = ? AND issue IN (\(issues)) ORDER BY rowid
                    """)
                copy.bind(auditID, at: 1)
                copy.bind(source, at: 2)
                try copy.run()
                return true
            }
        }
    }

    /// Removes an audit that was cancelled or failed, with what it had stored of its images and
    /// findings (the inspections stay: a new audit reuses them).
    func discardAudit(auditID: Int64) throws {
        try write { state in
            try state.writeNow {
                for table in ["audit_findings", "audit_images"] {
                    let delete = try state.statement("DELETE FROM \(table) WHERE audit_id = ?")
                    delete.bind(auditID, at: 1)
                    try delete.run()
                }
                let audit = try state.statement("DELETE FROM audits WHERE id = ?")
                audit.bind(auditID, at: 1)
                try audit.run()
            }
        }
    }

    /// The dataset-wide checks' view of one audit's images, for the duration of `body`.
    func withAuditImages<T>(auditID: Int64, _ body: (AuditImageIndex) throws -> T) throws -> T {
        try read { connection in try body(AuditImageIndex(connection: connection, auditID: auditID)) }
    }

    /// What the latest finished audit covering each of these images found in it (an empty list:
    /// audited and sound); images no audit covered are left out.
    public func imageVerdicts(paths: [String]) throws -> [String: [ImageIssue]] {
        try read { connection in
            let latest = try connection.prepare(
                """
                SELECT MAX(image.audit_id) FROM audit_images AS image JOIN audits AS audit ON audit.id = image.audit_id
                WHERE image.path = ? AND audit.finished_at IS NOT NULL
                """)
            let issues = try connection.prepare("SELECT issue FROM audit_findings WHERE audit_id = ? AND path = ?")
            var verdicts: [String: [ImageIssue]] = [:]
            for path in Set(paths) {
                latest.reset()
                latest.bind(path, at: 1)
                guard try latest.step(), let auditID = latest.optionalInt64(at: 0) else { continue }
                issues.reset()
                issues.bind(auditID, at: 1)
                issues.bind(path, at: 2)
                var found: [ImageIssue] = []
                while try issues.step() {
                    if let issue = ImageIssue(rawValue: issues.text(at: 0) ?? "") { found.append(issue) }
                }
                verdicts[path] = found
            }
            return verdicts
        }
    }

    /// The stored 48x48 grey thumbnails of these images (those inspected).
    public func imageThumbnails(paths: [String]) throws -> [String: [UInt8]] {
        try read { connection in
            let query = try connection.prepare("SELECT thumbnail FROM image_inspections WHERE path = ?")
            var found: [String: [UInt8]] = [:]
            for path in paths {
                query.reset()
                query.bind(path, at: 1)
                if try query.step(), let bytes = query.blob(at: 0), bytes.count == 48 * 48 { found[path] = bytes }
            }
            return found
        }
    }

    /// Per issue: how many images an audit found with it, and the first of them by path.
    public func auditFindingCounts(auditID: Int64) throws -> [(issue: ImageIssue, count: Int, example: String)] {
        try read { connection in
            let query = try connection.prepare(
                "SELECT issue, COUNT(*), MIN(path) FROM audit_findings WHERE audit_id = ? GROUP BY issue")
            query.bind(auditID, at: 1)
            var counts: [ImageIssue: (Int, String)] = [:]
            while try query.step() {
                guard let issue = ImageIssue(rawValue: query.text(at: 0) ?? "") else { continue }
                counts[issue] = (Int(query.int64(at: 1)), query.text(at: 2) ?? "")
            }
            return ImageIssue.allCases.compactMap { issue in counts[issue].map { (issue, $0.0, $0.1) } }
        }
    }

    /// Every finding of an audit, in path order, handed over one at a time.
    public func forEachAuditFinding(auditID: Int64, _ body: (AuditFinding) throws -> Void) throws {
        try read { connection in
            let query = try connection.prepare(
                """
                SELECT path, issue, severity, score, threshold, detail, image_group FROM audit_findings
                WHERE audit_id = ? ORDER BY path, rowid
                """)
            query.bind(auditID, at: 1)
            while try query.step() { try body(Self.finding(query)) }
        }
    }

    private static func finding(_ query: any DatabaseStatement) -> AuditFinding {
        var finding = AuditFinding(
            path: query.text(at: 0) ?? "", issue: ImageIssue(rawValue: query.text(at: 1) ?? "") ?? .unreadable,
            severity: AnomalySeverity(rawValue: query.text(at: 2) ?? "") ?? .warning,
            score: query.optionalDouble(at: 3), threshold: query.optionalDouble(at: 4), detail: query.text(at: 5) ?? "")
        finding.group = query.text(at: 6)
        return finding
    }

    /// One page of an audit's findings, in path order.
    public func auditFindings(auditID: Int64, issue: ImageIssue?, offset: Int, limit: Int) throws -> (
        findings: [AuditFinding], total: Int
    ) {
        try read { connection in
            let exists = try connection.prepare("SELECT 1 FROM audits WHERE id = ?")
            exists.bind(auditID, at: 1)
            guard try exists.step() else {
                throw EngineError.invalidArgument(field: "audit_id", reason: "no audit \(auditID)")
            }
            let filter = issue == nil ? "" : " AND issue = ?"
            let count = try connection.prepare("SELECT COUNT(*) FROM audit_findings WHERE audit_id = ?\(filter)")
            count.bind(auditID, at: 1)
            if let issue { count.bind(issue.rawValue, at: 2) }
            _ = try count.step()
            let total = Int(count.int64(at: 0))
            let query = try connection.prepare(
                """
                SELECT path, issue, severity, score, threshold, detail, image_group FROM audit_findings
                WHERE audit_id = ?\(filter) ORDER BY path, rowid LIMIT ? OFFSET ?
                """)
            query.bind(auditID, at: 1)
            var index: Int32 = 2
            if let issue {
                query.bind(issue.rawValue, at: index)
                index += 1
            }
            query.bind(limit, at: index)
            query.bind(offset, at: index + 1)
            var findings: [AuditFinding] = []
            while try query.step() { findings.append(Self.finding(query)) }
            return (findings, total)
        }
    }
}

extension RunStore {
    /// The stored 48x48 thumbnails of these images as they looked, with each image's width over
    /// height: thumbnails are stored stretched to 0-255, so each is brought back to its image's
    /// grey range and mean (a dark image shows dark, a washed-out one pale). Images never
    /// inspected are left out.
    public func imagePreviews(paths: [String]) throws -> [String: (pixels: [UInt8], aspect: Double)] {
        try read { connection in
            let measures =
                connection.dialect == .sqlite
                ? ["meanBrightness", "width", "height"].map { "json_extract(inspection, '$.measures.\($0)')" }
                : ["meanBrightness", "width", "height"].map {
                    "(inspection::jsonb #>> '{measures,\($0)}')::double precision"
                }
            let query = try connection.prepare(
                "SELECT thumbnail, thumbnail_range, \(measures.joined(separator: ", ")) FROM image_inspections WHERE path = ?"
            )
            var found: [String: (pixels: [UInt8], aspect: Double)] = [:]
            for path in paths {
                query.reset()
                query.bind(path, at: 1)
                guard try query.step(), let bytes = query.blob(at: 0), bytes.count == 48 * 48 else { continue }
                let range = query.optionalDouble(at: 1) ?? 255
                let width = query.optionalDouble(at: 3) ?? 1
                let height = query.optionalDouble(at: 4) ?? 1
                let aspect = width > 0 && height > 0 ? width / height : 1
                guard let mean = query.optionalDouble(at: 2) else {
                    found[path] = (bytes, aspect)
                    continue
                }
                let stretchedMean = Double(bytes.reduce(0) { $0 + Int($1) }) / Double(bytes.count)
                found[path] = (
                    bytes.map { value in
                        UInt8(max(0, min(255, (mean + (Double(value) - stretchedMean) * range / 255).rounded())))
                    }, aspect
                )
            }
            return found
        }
    }
}
