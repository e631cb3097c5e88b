#if canImport(Glibc)
import Glibc
#endif
import Foundation
import RunclinicJSON

/// Audits a dataset: finds its images, inspects each (reusing stored inspections of files whose
/// size and mtime did not change), judges them, adds the dataset-wide checks, and stores it all.
public struct DatasetAuditor: Sendable {
    public let store: RunStore
    public var thresholds: ImageQualityThresholds
    public var workers: Int
    public var inspector: any ImageInspector

    /// `workers`: threads inspecting at once (the inspector's preference when nil).
    public init(store: RunStore, thresholds: ImageQualityThresholds = ImageQualityThresholds(),
                workers: Int? = nil, inspector: any ImageInspector = InProcessImageInspector()) {
        self.store = store
        self.thresholds = thresholds
        self.workers = max(1, workers ?? inspector.concurrency)
        self.inspector = inspector
    }

    public struct Summary: Sendable {
        public let auditID: Int64
        public let images: Int
        public let reused: Int
        public let skipped: [String]
        public let unreadableFolders: [String]
        public let findings: [AuditFinding]
        public let seconds: Double
    }

    /// Images inspected, stored and judged per chunk: memory holds one chunk's inspections and,
    /// for the whole dataset, only what the dataset-wide checks need (hashes and sizes).
    static let chunkSize = 512

    public func run(paths: [String], recursive: Bool = true, dataset: String? = nil,
                    progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in },
                    isCancelled: @escaping @Sendable () -> Bool = { false }) throws -> Summary {
        let started = WallClock.now()
        let files = ImageFiles.collect(paths, recursive: recursive)
        let check = ImageQualityCheck(thresholds: thresholds)
        let total = files.images.count
        var findings: [AuditFinding] = []
        var summaries: [DatasetChecks.Image] = []
        summaries.reserveCapacity(total)
        var reused = 0
        for start in stride(from: 0, to: total, by: Self.chunkSize) {
            let chunk = Array(files.images[start..<min(total, start + Self.chunkSize)])
            let entries = try inspect(chunk, done: start, total: total, progress: progress, isCancelled: isCancelled)
            try store.storeInspections(entries.filter { !$0.reused }.map { ($0.path, $0.size, $0.mtime, $0.contentHash, $0.inspection) })
            reused += entries.filter(\.reused).count
            for entry in entries {
                findings += check.findings(for: entry.inspection)
                if let summary = datasetImage(entry) { summaries.append(summary) }
            }
        }
        let store = self.store
        findings += DatasetChecks.findings(summaries, thumbnails: { paths in (try? store.thumbnails(paths: paths)) ?? [:] })
        findings.sort { ($0.path, $0.issue.rawValue) < ($1.path, $1.issue.rawValue) }
        let auditID = try store.recordAudit(roots: paths, dataset: dataset, thresholds: "\(thresholds)", images: total,
                                            reused: reused, startedAt: started, findings: findings)
        return Summary(auditID: auditID, images: total, reused: reused, skipped: files.skipped,
                       unreadableFolders: files.unreadableFolders, findings: findings, seconds: WallClock.now() - started)
    }

    /// What the dataset-wide checks need of one image; its thumbnail stays in the store.
    func datasetImage(_ entry: Entry) -> DatasetChecks.Image? {
        guard entry.inspection.unreadable == nil else { return nil }
        let measures = entry.inspection.measures
        let informative = (measures?.entropy ?? 0) >= thresholds.minimumEntropy
        var image = DatasetChecks.Image(path: entry.path, size: entry.size, contentHash: entry.contentHash,
                                        differenceHash: informative ? measures?.differenceHash : nil,
                                        pixels: measures.map { $0.width * $0.height }, width: measures?.width, height: measures?.height,
                                        thumbnail: nil)
        image.averageHash = measures.flatMap { DatasetChecks.averageHash(Array($0.thumbnail)) }
        image.textMarks = measures?.textLines?.marks
        return image
    }

    /// Inspects one chunk on `workers` threads (plain threads, not concurrentPerform: the
    /// inspector may want more threads than cores), reusing stored inspections of unchanged files.
    func inspect(_ images: [String], done: Int, total: Int, progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void,
                 isCancelled: @escaping @Sendable () -> Bool) throws -> [Entry] {
        let cached = try store.cachedInspections(paths: images)
        let results = Results(count: images.count)
        let maximumPixels = thresholds.maximumPixels
        let inspector = self.inspector
        let finished = DispatchGroup()
        for _ in 0..<workers {
            finished.enter()
            let thread = Thread {
                while !isCancelled(), let index = results.claim() {
                    results.set(index, Self.inspect(images[index], cached: cached[images[index]], maximumPixels: maximumPixels,
                                                    inspector: inspector))
                    progress(done + results.completed(), total)
                }
                finished.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        finished.wait()
        if isCancelled() { throw EngineError.cancelled }
        return results.all()
    }

    struct Entry: Sendable {
        let path: String
        let size: Int
        let mtime: Double
        let contentHash: UInt64
        let inspection: ImageInspection
        let reused: Bool
    }

    static func inspect(_ path: String, cached: RunStore.CachedInspection?, maximumPixels: Int,
                        inspector: any ImageInspector) -> Entry {
        // stat(2) directly: FileManager's attribute dictionary costs more than a re-audit's judging.
        var status = stat()
        let found = stat(path, &status) == 0
        let size = found ? Int(status.st_size) : 0
        let mtime = found ? Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9 : 0
        if let cached, cached.size == size, cached.mtime == mtime {
            return Entry(path: path, size: size, mtime: mtime, contentHash: cached.contentHash, inspection: cached.inspection, reused: true)
        }
        return Entry(path: path, size: size, mtime: mtime, contentHash: contentHash(path),
                     inspection: inspector.inspect(path: path, maximumPixels: maximumPixels), reused: false)
    }

    /// A 64-bit hash of the file's bytes: byte-identical files share it (and their size). FNV-1a
    /// over 8-byte words (a byte at a time it cost more than judging a whole re-audit), finished
    /// with MurmurHash3's mixer so every input bit reaches every output bit.
    static func contentHash(_ path: String) -> UInt64 {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) else { return 0 }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        let prime: UInt64 = 0x0000_0100_0000_01B3
        data.withUnsafeBytes { raw in
            let words = raw.count / 8
            for word in 0..<words { hash = (hash ^ raw.loadUnaligned(fromByteOffset: word * 8, as: UInt64.self)) &* prime }
            for byte in raw[(words * 8)...] { hash = (hash ^ UInt64(byte)) &* prime }
        }
        hash ^= hash >> 33
        hash &*= 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 33
        hash &*= 0xC4CE_B9FE_1A85_EC53
        hash ^= hash >> 33
        return hash
    }

    /// Results filled in by the workers.
    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [Entry?]
        private var done = 0
        private var next = 0

        init(count: Int) { entries = Array(repeating: nil, count: count) }

        func set(_ index: Int, _ entry: Entry) {
            lock.withLock {
                entries[index] = entry
                done += 1
            }
        }

        /// The next image no thread has taken yet.
        func claim() -> Int? {
            lock.withLock {
                guard next < entries.count else { return nil }
                defer { next += 1 }
                return next
            }
        }

        func completed() -> Int { lock.withLock { done } }
        func all() -> [Entry] { lock.withLock { entries.compactMap { $0 } } }
    }
}
