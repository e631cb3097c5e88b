import Foundation

/// One audit's images as its dataset-wide checks read them: SQL over `audit_images`, streamed in
/// the order each check needs, so a check holds one group or one hash bucket, never the dataset.
/// Only readable images take part. Images are named by their row id while the checks run.
struct AuditImageIndex {
    let connection: any DatabaseConnection
    let auditID: Int64

    /// What a near-duplicate search needs of one image.
    struct Hashes {
        let id: Int64
        let differenceHash: UInt64
        let averageHash: UInt64?
        let perceptualHash: UInt64?
        let textMarks: Int?
    }

    /// Groups of byte-identical images (same content hash and size), each in path order.
    func forEachIdenticalGroup(_ body: ([String]) throws -> Void) throws {
        let query = try connection.prepare(
            """
            SELECT path, content_hash, size FROM audit_images WHERE audit_id = ? AND readable
            ORDER BY content_hash, size, path
            """)
        query.bind(auditID, at: 1)
        var group: [String] = []
        var key: (Int64, Int64)? = nil
        while try query.step() {
            let next = (query.int64(at: 1), query.int64(at: 2))
            if let current = key, current != next {
                if group.count > 1 { try body(group) }
                group.removeAll(keepingCapacity: true)
            }
            key = next
            group.append(query.text(at: 0) ?? "")
        }
        if group.count > 1 { try body(group) }
    }

    /// The images that share one 8-bit band of a hash (`band` 0-7 of the difference hash, 8-15 of
    /// the average hash, 16-23 of the perceptual hash), a bucket at a time, each in row order.
    /// Only the first (by path) of byte-identical images takes part: the others are duplicates
    /// already. A bucket larger than `limit` is skipped (its members share little beyond a flat
    /// band).
    func forEachHashBucket(band: Int, limit: Int, _ body: ([Hashes]) throws -> Void) throws {
        let column = ["difference_hash", "average_hash", "perceptual_hash"][min(band / 8, 2)]
        let query = try connection.prepare(
            """
            SELECT rowid, difference_hash, average_hash, text_marks, perceptual_hash, (\(column) >> ?) & 255 AS bucket
            FROM audit_images AS image
            WHERE audit_id = ? AND readable AND difference_hash IS NOT NULL AND \(column) IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM audit_images AS earlier WHERE earlier.audit_id = image.audit_id AND earlier.readable
                              AND earlier.content_hash = image.content_hash AND earlier.size = image.size AND earlier.path < image.path)
            ORDER BY bucket, rowid
            """)
        query.bind((band % 8) * 8, at: 1)
        query.bind(auditID, at: 2)
        var members: [Hashes] = []
        var current: Int64? = nil
        var overflowing = false
        func finish() throws {
            if members.count > 1 && !overflowing { try body(members) }
            members.removeAll(keepingCapacity: true)
            overflowing = false
        }
        while try query.step() {
            let bucket = query.int64(at: 5)
            if bucket != current { try finish() }
            current = bucket
            if members.count >= limit {
                overflowing = true
                continue
            }
            members.append(
                Hashes(
                    id: query.int64(at: 0), differenceHash: UInt64(bitPattern: query.int64(at: 1)),
                    averageHash: query.optionalInt64(at: 2).map { UInt64(bitPattern: $0) },
                    perceptualHash: query.optionalInt64(at: 4).map { UInt64(bitPattern: $0) },
                    textMarks: query.optionalInt64(at: 3).map { Int($0) }))
        }
        try finish()
    }

    /// The stored thumbnails of these images (by row id), and the grey levels each spanned.
    func thumbnails(_ ids: [Int64]) throws -> [Int64: (bytes: [UInt8], range: Double)] {
        let query = try connection.prepare(
            """
            SELECT inspection.thumbnail, inspection.thumbnail_range FROM audit_images AS image
            JOIN image_inspections AS inspection ON inspection.path = image.path WHERE image.rowid = ?
            """)
        var found: [Int64: (bytes: [UInt8], range: Double)] = [:]
        for id in ids {
            query.reset()
            query.bind(id, at: 1)
            if try query.step(), let bytes = query.blob(at: 0) { found[id] = (bytes, query.double(at: 1)) }
        }
        return found
    }

    /// The stored keypoints of these images (those inspected and with keypoints).
    func keypoints(_ ids: [Int64]) throws -> [Int64: ImageKeypoints] {
        let query = try connection.prepare(
            """
            SELECT inspection.keypoints FROM audit_images AS image
            JOIN image_inspections AS inspection ON inspection.path = image.path WHERE image.rowid = ?
            """)
        var found: [Int64: ImageKeypoints] = [:]
        for id in ids {
            query.reset()
            query.bind(id, at: 1)
            if try query.step(), let bytes = query.blob(at: 0) { found[id] = ImageKeypoints(encoded: Data(bytes)) }
        }
        return found
    }

    func path(_ id: Int64) throws -> String {
        let query = try connection.prepare("SELECT path FROM audit_images WHERE rowid = ?")
        query.bind(id, at: 1)
        return try query.step() ? query.text(at: 0) ?? "" : ""
    }

    /// How many readable images have a known size.
    func sizedCount() throws -> Int {
        let query = try connection.prepare(
            "SELECT COUNT(*) FROM audit_images WHERE audit_id = ? AND readable AND width IS NOT NULL")
        query.bind(auditID, at: 1)
        _ = try query.step()
        return Int(query.int64(at: 0))
    }

    /// The median over images of log(pixels), as SQLite orders them (no log in SQL: the
    /// order of pixels is the order of their logs).
    func medianLogPixels(count: Int) throws -> Double {
        try median(count: count, of: "CAST(width AS REAL) * height", transform: { log(max(1, $0)) }, bindings: [])
    }

    /// The median over images of |log(pixels) - centre|, ordered in SQL by the ratio of pixels
    /// to e^centre, whichever way round is larger (its log is that distance).
    func medianLogDistance(count: Int, centre: Double) throws -> Double {
        // The larger of two values: SQLite's two-argument MAX, PostgreSQL's GREATEST.
        let larger = connection.dialect == .sqlite ? "MAX" : "GREATEST"
        return try median(
            count: count,
            of: "\(larger)(CAST(width AS REAL) * height / ?, ? / \(larger)(1.0, CAST(width AS REAL) * height))",
            transform: { log(max(1, $0)) }, bindings: [exp(centre), exp(centre)])
    }

    private func median(count: Int, of expression: String, transform: (Double) -> Double, bindings: [Double]) throws
        -> Double
    {
        guard count > 0 else { return 0 }
        let query = try connection.prepare(
            """
            SELECT \(expression) AS value FROM audit_images WHERE audit_id = ? AND readable AND width IS NOT NULL
            ORDER BY value LIMIT ? OFFSET ?
            """)
        var index: Int32 = 1
        for value in bindings {
            query.bind(value, at: index)
            index += 1
        }
        query.bind(auditID, at: index)
        query.bind(count % 2 == 1 ? 1 : 2, at: index + 1)
        query.bind((count - 1) / 2, at: index + 2)
        var values: [Double] = []
        while try query.step() { values.append(transform(query.double(at: 0))) }
        return values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }

    /// Images with more than `above` or fewer than `below` pixels.
    func forEachSized(
        outside below: Double, _ above: Double, _ body: (_ path: String, _ width: Int, _ height: Int) throws -> Void
    ) throws {
        let query = try connection.prepare(
            """
            SELECT path, width, height FROM audit_images WHERE audit_id = ? AND readable AND width IS NOT NULL
              AND (CAST(width AS REAL) * height > ? OR CAST(width AS REAL) * height < ?) ORDER BY path
            """)
        query.bind(auditID, at: 1)
        query.bind(above, at: 2)
        query.bind(below, at: 3)
        while try query.step() { try body(query.text(at: 0) ?? "", Int(query.int64(at: 1)), Int(query.int64(at: 2))) }
    }
}
