import Foundation

/// Inspects an audit's images chunk by chunk on threads that never wait at a chunk's end: while
/// the auditor judges and stores one chunk, the threads are on the next, and a thread with nothing
/// left to take in a chunk takes the next chunk's first image rather than idle until the chunk's
/// slowest image is done. The auditor adds a chunk before it takes the one before, so at most two
/// are held at once.
///
/// Plain threads, not concurrentPerform: the inspector may want more threads than cores.
final class ChunkedInspection: @unchecked Sendable {
    /// One chunk's images and, as they come in, their entries.
    private final class Chunk {
        let images: [String]
        let cached: [String: RunStore.CachedInspection]
        var entries: [DatasetAuditor.Entry?]
        var remaining: Int

        init(images: [String], cached: [String: RunStore.CachedInspection]) {
            self.images = images
            self.cached = cached
            entries = Array(repeating: nil, count: images.count)
            remaining = images.count
        }
    }

    private let condition = NSCondition()
    private var chunks: [Int: Chunk] = [:]  // by the order they were added in
    private var added = 0
    private var claiming = 0  // the chunk the threads take images from
    private var nextImage = 0  // the next image of that chunk no thread has taken
    private var closed = false  // no chunk will be added
    private var stopped = false  // take no more images (the audit failed or is over)
    private var completed = 0
    private var claimed = 0  // images taken by the threads, all chunks together
    private var readAheadChunk = 0  // the next image to read ahead: its chunk
    private var readAheadImage = 0  // and its place in that chunk
    private var readAheadCount = 0  // images the cursor has passed
    /// How many images ahead of the threads the files are asked for: enough to cover a read's
    /// latency with the decoding of the images before it, little enough to stay in memory.
    private static let readAhead = 24
    private let finished = DispatchGroup()
    private let isCancelled: @Sendable () -> Bool

    /// Starts `workers` threads; `progress` is told how many images are inspected so far.
    init(
        workers: Int, maximumPixels: Int, inspector: any ImageInspector,
        progress: @escaping @Sendable (_ completed: Int) -> Void, isCancelled: @escaping @Sendable () -> Bool
    ) {
        self.isCancelled = isCancelled
        for _ in 0..<max(1, workers) {
            finished.enter()
            let thread = Thread { [self] in
                work(maximumPixels: maximumPixels, inspector: inspector, progress: progress)
                finished.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Queues a chunk, with the stored inspections of its unchanged files.
    func add(_ images: [String], cached: [String: RunStore.CachedInspection]) {
        condition.withLock {
            chunks[added] = Chunk(images: images, cached: cached)
            added += 1
            condition.broadcast()
        }
    }

    /// No more chunks: the threads end once the queued ones are inspected.
    func close() {
        condition.withLock {
            closed = true
            condition.broadcast()
        }
    }

    /// Waits until every image of chunk `number` (counted from 0 in the order added) is inspected,
    /// and hands its entries over in the chunk's order.
    func take(_ number: Int) throws -> [DatasetAuditor.Entry] {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let chunk = chunks[number], chunk.remaining == 0 {
                chunks[number] = nil
                return chunk.entries.compactMap { $0 }
            }
            if isCancelled() { throw EngineError.cancelled }
            // Woken by the chunk's last image, or after a tenth of a second to see a cancel.
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
        }
    }

    /// Stops taking images and waits for the threads: each finishes the image it is on (an
    /// inspector told of a cancel gives up on it).
    func stop() {
        condition.withLock {
            stopped = true
            condition.broadcast()
        }
        finished.wait()
    }

    private func work(
        maximumPixels: Int, inspector: any ImageInspector, progress: @Sendable (_ completed: Int) -> Void
    ) {
        condition.lock()
        while !stopped, !isCancelled() {
            guard let (chunk, index) = claim() else {
                if closed { break }
                _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1))
                continue
            }
            let upcoming = imagesToReadAhead()
            condition.unlock()
            for path in upcoming { FileReadAhead.start(path) }
            let path = chunk.images[index]
            let entry = DatasetAuditor.inspect(
                path, cached: chunk.cached[path], maximumPixels: maximumPixels, inspector: inspector,
                isCancelled: isCancelled)
            condition.lock()
            chunk.entries[index] = entry
            chunk.remaining -= 1
            completed += 1
            if chunk.remaining == 0 { condition.broadcast() }
            let done = completed
            condition.unlock()
            progress(done)
            condition.lock()
        }
        condition.unlock()
    }

    /// The next image no thread has taken, moving on to the next chunk when one runs out or was
    /// already taken by the auditor: a thread held up between a chunk's last image and this call
    /// (a slow progress report) may find it gone. Called with the lock held.
    private func claim() -> (Chunk, Int)? {
        while claiming < added {
            if let chunk = chunks[claiming], nextImage < chunk.images.count {
                defer {
                    nextImage += 1
                    claimed += 1
                }
                return (chunk, nextImage)
            }
            claiming += 1
            nextImage = 0
        }
        return nil
    }

    /// The files to read ahead so the cursor stays `readAhead` images past the threads; an
    /// unchanged file whose stored inspection will be reused is passed over. Called with the lock
    /// held.
    private func imagesToReadAhead() -> [String] {
        var paths: [String] = []
        while readAheadCount < claimed + Self.readAhead, readAheadChunk < added {
            guard let chunk = chunks[readAheadChunk], readAheadImage < chunk.images.count else {
                readAheadChunk += 1
                readAheadImage = 0
                continue
            }
            let path = chunk.images[readAheadImage]
            if chunk.cached[path] == nil { paths.append(path) }
            readAheadImage += 1
            readAheadCount += 1
        }
        return paths
    }
}
