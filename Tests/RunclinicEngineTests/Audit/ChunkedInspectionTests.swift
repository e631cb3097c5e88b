import Foundation
import Synchronization
import Testing

@testable import RunclinicEngine

@Suite struct ChunkedInspectionTests {
    static let images = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images")

    /// Twelve real images in a fresh folder, two of them byte-identical copies of a third.
    static func dataset() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chunks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let names = [
            "photo.jpg", "photo_blurred.jpg", "page.jpg", "page_upside_down.jpg", "photo_night.jpg",
            "photo_pixels.png", "photo_pixels_grey.png", "photo_misty.png", "page_photographed.jpg",
            "photo_faint.jpg",
        ]
        for name in names {
            try FileManager.default.copyItem(
                at: images.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        for copy in ["photo_copy_1.jpg", "photo_copy_2.jpg"] {
            try FileManager.default.copyItem(
                at: images.appendingPathComponent("photo.jpg"), to: folder.appendingPathComponent(copy))
        }
        return folder
    }

    static func findings(_ store: RunStore, _ auditID: Int64) throws -> [String] {
        try store.auditFindings(auditID: auditID, issue: nil, offset: 0, limit: 1_000).findings.map {
            "\(($0.path as NSString).lastPathComponent) \($0.issue.rawValue) \($0.group ?? "")"
        }
    }

    @Test func chunksSmallerThanTheDatasetFindWhatOneChunkFinds() throws {
        // Chunks of 3 on 3 threads: the threads run ahead into the next chunk while one is stored,
        // and the duplicates span chunks. Every image is judged once, and the findings are those
        // of one chunk holding them all.
        let folder = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try TemporaryStore()
        let second = try TemporaryStore()
        var whole = DatasetAuditor(store: first.store, workers: 3)
        whole.chunkSize = 512
        let one = try whole.run(paths: [folder.path])
        var chunked = DatasetAuditor(store: second.store, workers: 3)
        chunked.chunkSize = 3
        let progress = Mutex<[Int]>([])
        let many = try chunked.run(paths: [folder.path], progress: { done, _ in progress.withLock { $0.append(done) } })
        #expect(one.images == 12 && many.images == 12 && many.reused == 0)
        let expected = try Self.findings(first.store, one.auditID)
        #expect(expected.contains { $0.hasPrefix("photo_copy_2.jpg duplicate") })
        #expect(expected.contains { $0.hasPrefix("photo_blurred.jpg blurry") })
        #expect(try Self.findings(second.store, many.auditID) == expected)
        #expect(progress.withLock { $0.sorted() } == Array(1...12))
    }

    @Test(arguments: [1, 3]) func threadsGoOnToTheNextChunkAfterItIsTaken(workers: Int) throws {
        // A slow progress report (a client's notification) holds a thread between finishing a
        // chunk's last image and looking for its next one, so the auditor takes the chunk first.
        // The threads still go on to the next chunk.
        let folder = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: folder) }
        let temporary = try TemporaryStore()
        var auditor = DatasetAuditor(store: temporary.store, workers: workers)
        auditor.chunkSize = 3
        let result = try auditor.run(paths: [folder.path], progress: { _, _ in Thread.sleep(forTimeInterval: 0.05) })
        #expect(result.images == 12)
        let findings = try Self.findings(temporary.store, result.auditID)
        #expect(findings.contains { $0.hasPrefix("photo_copy_2.jpg duplicate") })
    }

    @Test func aCancelledAuditStopsAndKeepsNothing() throws {
        let folder = try Self.dataset()
        defer { try? FileManager.default.removeItem(at: folder) }
        let temporary = try TemporaryStore()
        var auditor = DatasetAuditor(store: temporary.store, workers: 2)
        auditor.chunkSize = 2
        let inspected = Atomic<Int>(0)
        #expect(throws: EngineError.cancelled) {
            _ = try auditor.run(
                paths: [folder.path], progress: { done, _ in inspected.store(done, ordering: .relaxed) },
                isCancelled: { inspected.load(ordering: .relaxed) >= 3 })
        }
        // Each thread finishes the image it is on, and takes no other.
        #expect(inspected.load(ordering: .relaxed) < 12)
        #expect(try temporary.store.listAudits(limit: 10).isEmpty)
    }
}
