import Foundation
import Testing

@testable import RunclinicEngine

#if canImport(Glibc)
    import Glibc
#endif

/// Reading ahead brings a file the audit will decode into memory, and never opens a FIFO.
@Suite struct FileReadAheadTests {
    /// How many of the file's pages are in the page cache, and how many it has.
    static func residentPages(_ path: String) throws -> (resident: Int, total: Int) {
        let descriptor = open(path, O_RDONLY)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var status = stat()
        try #require(fstat(descriptor, &status) == 0)
        let length = Int(status.st_size)
        let mapping = mmap(nil, length, PROT_READ, MAP_SHARED, descriptor, 0)
        try #require(mapping != MAP_FAILED)
        defer { munmap(mapping, length) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var vector = [UInt8](repeating: 0, count: (length + pageSize - 1) / pageSize)
        try #require(mincore(mapping, length, &vector) == 0)
        return (vector.filter { $0 & 1 != 0 }.count, vector.count)
    }

    @Test func aFileOutOfThePageCacheIsReadBackIntoIt() throws {
        try withTemporaryFolder("readahead") { folder in
            let path = folder.appendingPathComponent("large.jpg").path
            try Data((0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }).write(
                to: URL(fileURLWithPath: path))
            // Written back to disk, then dropped from memory, as a dataset not read for a while.
            let descriptor = open(path, O_RDONLY)
            try #require(descriptor >= 0)
            fsync(descriptor)
            _ = posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_DONTNEED))
            close(descriptor)
            let before = try Self.residentPages(path)
            try #require(before.resident < before.total / 4, "this file system keeps the file in memory regardless")

            FileReadAhead.start(path)
            let deadline = Date(timeIntervalSinceNow: 5)
            var after = try Self.residentPages(path)
            while after.resident < after.total, Date() < deadline {
                usleep(10_000)
                after = try Self.residentPages(path)
            }
            #expect(after.resident == after.total)
        }
    }

    @Test func aFIFOIsNeverOpened() throws {
        try withTemporaryFolder("readahead") { folder in
            let path = folder.appendingPathComponent("pipe.jpg").path
            try #require(mkfifo(path, 0o600) == 0)
            // Opening a FIFO no one writes to blocks for good; a thread returns only if it was not.
            let returned = DispatchSemaphore(value: 0)
            Thread {
                FileReadAhead.start(path)
                returned.signal()
            }.start()
            #expect(returned.wait(timeout: .now() + 5) == .success)
        }
    }
}
