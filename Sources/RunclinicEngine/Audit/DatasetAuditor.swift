import Foundation
import Logging
import RunclinicJSON

#if canImport(Glibc)
    import Glibc
#endif

/// Audits a dataset: finds its images, inspects each (reusing stored inspections of files whose
/// size and mtime did not change), judges them, adds the dataset-wide checks, and stores it all.
public struct DatasetAuditor: Sendable {
    public let store: RunStore
    public var thresholds: ImageQualityThresholds
    public var workers: Int
    public var inspector: any ImageInspector
    /// The issues to look for (all by default); the dataset-wide searches not asked for are skipped.
    public var checks: Set<ImageIssue> = Set(ImageIssue.allCases)

    /// `workers`: threads inspecting at once (the inspector's preference when nil).
    public init(
        store: RunStore, thresholds: ImageQualityThresholds = ImageQualityThresholds(),
        workers: Int? = nil, inspector: any ImageInspector = InProcessImageInspector()
    ) {
        self.store = store
        self.thresholds = thresholds
        self.workers = max(1, workers ?? inspector.concurrency)
        self.inspector = inspector
    }

    public struct Summary: Sendable {
        public let auditID: Int64
        public let images: Int
        public let reused: Int
        /// Files that are not images (the first thousand; `skippedCount` counts them all).
        public let skipped: [String]
        public let skippedCount: Int
        public let unreadableFolders: [String]
        /// FIFOs, sockets and devices met on the walk: listed, never opened.
        public let notRegularFiles: [(path: String, kind: String)]
        /// Files whose names are not UTF-8, shown with \xNN escapes: listed, not audited.
        public let undecodableNames: [String]
        /// Per issue: images found with it, and the first of them by path. The findings
        /// themselves are in the store (`RunStore.auditFindings`).
        public let counts: [(issue: ImageIssue, count: Int, example: String)]
        /// Which way up the images stand, as far as their text lines say (see OrientationCoverage).
        public let orientation: OrientationCoverage
        public let seconds: Double

        public var findingCount: Int { counts.reduce(0) { $0 + $1.count } }
    }

    /// Images inspected, stored and judged per chunk: memory holds two chunks' inspections (one
    /// being stored, the next being inspected); the dataset-wide checks then read what they need
    /// back from the store.
    var chunkSize = 512

    public func run(
        paths: [String], recursive: Bool = true, dataset: String? = nil,
        progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in },
        isCancelled: @escaping @Sendable () -> Bool = { false }
    ) throws -> Summary {
        let started = WallClock.now()
        // A path that is not there is a mistake to report, not an empty dataset to pass.
        for (index, path) in paths.enumerated() {
            var status = stat()
            guard stat(path, &status) == 0 else {
                throw EngineError.invalidArgument(
                    field: paths.count == 1 ? "path" : "paths[\(index)]", reason: "\(path): no such file or folder")
            }
        }
        let total = ImageFileWalk.count(paths, recursive: recursive)
        Self.logger.debug("found \(total) images in \(Self.milliseconds(since: started)) ms")
        let files = ImageFileWalk(paths, recursive: recursive)
        let check = ImageQualityCheck(thresholds: thresholds)
        let auditID = try store.beginAudit(
            roots: paths, dataset: dataset, thresholds: "\(thresholds)", startedAt: started)
        var done = 0
        var reused = 0
        var orientation = OrientationCoverage()
        let checks = self.checks
        let asked = checks.map(\.rawValue).sorted().joined(separator: ",")
        var fingerprint = DatasetFingerprint(
            version: DatasetChecks.version, thresholds: "\(thresholds) checks: \(asked)")
        do {
            let inspection = ChunkedInspection(
                workers: workers, maximumPixels: thresholds.maximumPixels, inspector: inspector,
                progress: { progress($0, max(total, $0)) }, isCancelled: isCancelled)
            defer { inspection.stop() }
            // The next chunk is queued before this one is taken, so the threads go on to it while
            // this one is judged and stored.
            var chunk = files.next(chunkSize)
            if !chunk.isEmpty { inspection.add(chunk, cached: try store.cachedInspections(paths: chunk)) }
            var number = 0
            while !chunk.isEmpty {
                let next = files.next(chunkSize)
                if next.isEmpty {
                    inspection.close()
                } else {
                    inspection.add(next, cached: try store.cachedInspections(paths: next))
                }
                let waitStarted = WallClock.now()
                let entries = try inspection.take(number)
                let waited = Self.milliseconds(since: waitStarted)
                if let missing = entries.lazy.compactMap(\.inspection.libraryError).first {
                    throw EngineError.imageLibraryUnavailable(missing)
                }
                let storeStarted = WallClock.now()
                let judged = entries.map { check.findings(for: $0.inspection) }
                for entry in entries { orientation.count(entry.inspection.measures) }
                let images = zip(entries, judged).map { datasetImage($0, findings: $1) }
                for image in images { fingerprint.combine(image) }
                try store.storeAuditChunk(
                    auditID: auditID,
                    inspections: entries.filter { !$0.reused }.map {
                        ($0.path, $0.size, $0.mtime, $0.contentHash, $0.inspection)
                    },
                    images: images, findings: judged.flatMap { $0 }.filter { checks.contains($0.issue) })
                done += chunk.count
                Self.logger.debug(
                    "images \(done - chunk.count)-\(done): waited \(waited) ms for their inspections, judged and stored them in \(Self.milliseconds(since: storeStarted)) ms"
                )
                reused += entries.filter(\.reused).count
                chunk = next
                number += 1
            }
            if isCancelled() { throw EngineError.cancelled }
            let store = self.store
            let checksStarted = WallClock.now()
            if try !store.copyDatasetFindings(fingerprint: fingerprint.value, to: auditID) {
                try store.withAuditImages(auditID: auditID) { images in
                    try DatasetChecks.run(images, checks: checks) { findings in
                        try store.addAuditFindings(auditID: auditID, findings)
                    }
                }
            }
            Self.logger.debug("dataset-wide checks: \(Self.milliseconds(since: checksStarted)) ms")
            try store.finishAudit(auditID: auditID, images: done, reused: reused, fingerprint: fingerprint.value)
        } catch {
            try? store.discardAudit(auditID: auditID)
            throw error
        }
        return Summary(
            auditID: auditID, images: done, reused: reused, skipped: files.skipped, skippedCount: files.skippedCount,
            unreadableFolders: files.unreadableFolders, notRegularFiles: files.notRegularFiles,
            undecodableNames: files.undecodableNames,
            counts: try store.auditFindingCounts(auditID: auditID), orientation: orientation,
            seconds: WallClock.now() - started)
    }

    static let logger = Logger(label: "runclinic.audit")

    static func milliseconds(since start: Double) -> Int { Int((WallClock.now() - start) * 1_000) }

    /// What the dataset-wide checks need of one image; its thumbnail stays in the store.
    func datasetImage(_ entry: Entry, findings: [AuditFinding]) -> DatasetChecks.Image {
        var image = DatasetChecks.Image(
            path: entry.path, readable: entry.inspection.unreadable == nil, size: entry.size,
            contentHash: entry.contentHash)
        guard image.readable, let measures = entry.inspection.measures else { return image }
        image.width = measures.width
        image.height = measures.height
        // A near-uniform image, or a cut-off one whose missing part decodes grey, looks like any
        // other such image: their pictures are not compared (byte-identical copies still are).
        let incomparable = findings.contains { $0.issue == .lowInformation || $0.issue == .truncated }
        guard !incomparable else { return image }
        // A picture of few grey levels keeps its difference hash when it has edges (a page brightened
        // until its paper clips white has almost no histogram entropy left, but all its text) or a
        // layout (a faint, misty photo spans 27-32 levels at 48x48 with under 1.5 bits of entropy,
        // and its copies are copies). A picture washed out to one level is compared with nothing.
        if measures.entropy >= thresholds.minimumEntropy || measures.edgeDensity >= DatasetChecks.comparableEdgeDensity
            || measures.thumbnailRange >= thresholds.minimumRange
        {
            image.differenceHash = measures.differenceHash
        }
        image.averageHash = DatasetChecks.averageHash(Array(measures.thumbnail))
        image.perceptualHash = DatasetChecks.perceptualHash(Array(measures.thumbnail))
        image.textMarks = measures.textMarks
        return image
    }

    struct Entry: Sendable {
        let path: String
        let size: Int
        let mtime: Double
        let contentHash: UInt64
        let inspection: ImageInspection
        let reused: Bool
    }

    static func inspect(
        _ path: String, cached: RunStore.CachedInspection?, maximumPixels: Int,
        inspector: any ImageInspector, isCancelled: @escaping @Sendable () -> Bool = { false }
    ) -> Entry {
        // stat(2) directly: FileManager's attribute dictionary costs more than a re-audit's judging.
        var status = stat()
        let found = stat(path, &status) == 0
        // A FIFO or a device is not read (it could block for good); the inspection says why.
        let regular = found && ImageFileWalk.specialKind(status.st_mode) == nil
        let size = found ? Int(status.st_size) : 0
        let mtime = found ? Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9 : 0
        if let cached, cached.size == size, cached.mtime == mtime {
            return Entry(
                path: path, size: size, mtime: mtime, contentHash: cached.contentHash, inspection: cached.inspection,
                reused: true)
        }
        let inspection = inspector.inspect(path: path, maximumPixels: maximumPixels, isCancelled: isCancelled)
        return Entry(
            path: path, size: size, mtime: mtime,
            contentHash: regular ? inspection.contentHash ?? contentHash(path) : 0, inspection: inspection,
            reused: false)
    }

    /// A 64-bit hash of the file's bytes: byte-identical files share it (and their size). FNV-1a
    /// over 8-byte words (a byte at a time it cost more than judging a whole re-audit), finished
    /// with MurmurHash3's mixer so every input bit reaches every output bit. The decoder takes
    /// the same hash of the bytes it reads (content_hash in image_inspection.cpp); this one is
    /// for the files it did not read whole.
    static func contentHash(_ path: String) -> UInt64 {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) else { return 0 }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01B3
        data.withUnsafeBytes { raw in
            let words = raw.count / 8
            for word in 0..<words {
                hash = (hash ^ raw.loadUnaligned(fromByteOffset: word * 8, as: UInt64.self)) &* prime
            }
            for byte in raw[(words * 8)...] { hash = (hash ^ UInt64(byte)) &* prime }
        }
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash &*= 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return hash
    }
}
