import ArgumentParser
import Foundation
import RunclinicEngine

#if canImport(Glibc)
    import Glibc
#endif

/// The child process an audit decodes images in (see InspectionWorkerPool): one
/// "<maximum pixels> <path>" per line in, one JSON inspection per line out, until stdin closes.
/// Not for people.
struct InspectWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect-worker",
        abstract: "Decode and measure the images named on stdin (used by audits; not for direct use).",
        shouldDisplay: false
    )

    func run() throws {
        // The server blocks SIGINT and SIGTERM in its threads to wait for them, and a child
        // inherits that mask: unblocked here, so the worker can be stopped like any process.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        Self.endWithParent()
        // Fault injection for the crash-isolation test: abort on a path containing this text.
        let crashOn = ProcessInfo.processInfo.environment["RUNCLINIC_TEST_CRASH_ON"].flatMap { $0.isEmpty ? nil : $0 }
        // ...and hang, as a decoder stuck on a hostile file does, on a path containing this text.
        let hangOn = ProcessInfo.processInfo.environment["RUNCLINIC_TEST_HANG_ON"].flatMap { $0.isEmpty ? nil : $0 }
        // ...and hang making a thumbnail (for the gallery) of such a path.
        let hangThumbnailOn = ProcessInfo.processInfo.environment["RUNCLINIC_TEST_HANG_THUMBNAIL_ON"].flatMap {
            $0.isEmpty ? nil : $0
        }
        while let request = readLine(strippingNewline: true) {
            if request.hasPrefix("thumbnail ") {
                if let hangThumbnailOn, request.contains(hangThumbnailOn) { while true { sleep(60) } }
                Self.answerThumbnail(request)
                continue
            }
            guard let space = request.firstIndex(of: " "), let maximumPixels = Int(request[..<space]) else {
                throw ValidationError("expected \"<maximum pixels> <path>\", got \(request)")
            }
            let path = String(request[request.index(after: space)...])
            if let crashOn, path.contains(crashOn) { abort() }
            if let hangOn, path.contains(hangOn) { while true { sleep(60) } }
            var line = ImageInspection.inspect(path: path, maximumPixels: maximumPixels).jsonBytes()
            line.append(UInt8(ascii: "\n"))
            FileHandle.standardOutput.write(Data(line))
        }
    }

    /// "thumbnail <side> <maximum pixels> <path>": the JPEG in base64, or an empty line.
    static func answerThumbnail(_ request: String) {
        let parts = request.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        var jpeg: [UInt8]? = nil
        if parts.count == 4, let side = Int(parts[1]), let maximumPixels = Int(parts[2]) {
            jpeg = ImageThumbnail.jpeg(path: String(parts[3]), side: side, maximumPixels: maximumPixels)
        }
        FileHandle.standardOutput.write(Data(((jpeg.map { Data($0).base64EncodedString() } ?? "") + "\n").utf8))
    }

    /// A worker never outlives the server that started it: stuck in a decoder it cannot see its
    /// stdin close, so a watcher thread ends it once it has been handed to another parent.
    static func endWithParent() {
        let parent = getppid()
        let watcher = Thread {
            while getppid() == parent { sleep(1) }
            _exit(1)
        }
        watcher.start()
    }
}
