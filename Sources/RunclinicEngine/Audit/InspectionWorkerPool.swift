import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Decodes images in child processes (`runclinic inspect-worker`): a decoder that crashes on a
/// hostile file takes down that worker, not the server holding live monitor state. The file it
/// died on is reported unreadable and the worker is replaced.
///
/// Workers are long-lived and shared: a thread checks one out per image and back in after, so
/// an audit and a pipeline's `audit.filter` calls reuse warm workers instead of starting OpenCV
/// each time. Idle workers end when this process does (their stdin reaches end-of-file).
///
/// Protocol: one "<maximum pixels> <path>" per line on the worker's stdin, one JSON-encoded
/// `ImageInspection` per line on its stdout; or "thumbnail <side> <maximum pixels> <path>", answered
/// by the JPEG in base64 (an empty line when none could be made).
public final class InspectionWorkerPool: ImageInspector, @unchecked Sendable {
    private let command: [String]
    private let lock = NSLock()
    private var idle: [Worker] = []
    private let maximumIdle: Int
    /// Seconds one image may take: a decoder still busy after that is killed and the file
    /// reported (a hostile file can make a decoder spin or block).
    public let decodeDeadline: Double

    /// `command`: the worker's executable and arguments (it reads paths, writes inspections).
    /// `decodeDeadline`: $RUNCLINIC_DECODE_DEADLINE (seconds) when nil, else 30.
    public init(
        command: [String], maximumIdle: Int = ProcessInfo.processInfo.activeProcessorCount + 1,
        decodeDeadline: Double? = nil
    ) {
        self.command = command
        self.maximumIdle = maximumIdle
        self.decodeDeadline =
            decodeDeadline
            ?? ProcessInfo.processInfo.environment["RUNCLINIC_DECODE_DEADLINE"].flatMap(Double.init).flatMap {
                $0 > 0 ? $0 : nil
            }
            ?? 30
    }

    /// The running binary's own `inspect-worker` command.
    public static func selfExecuting() -> InspectionWorkerPool {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return InspectionWorkerPool(command: [executable, "inspect-worker"])
    }

    /// One more thread than cores: while one worker's answer crosses its pipe and is read, the
    /// others decode, so the cores stay busy.
    public var concurrency: Int { ProcessInfo.processInfo.activeProcessorCount + 1 }

    public func inspect(path: String, maximumPixels: Int) -> ImageInspection {
        inspect(path: path, maximumPixels: maximumPixels, isCancelled: { false })
    }

    public func inspect(path: String, maximumPixels: Int, isCancelled: @escaping @Sendable () -> Bool)
        -> ImageInspection
    {
        // Paths with a newline cannot cross the line protocol; they are decoded here (rare).
        guard !path.contains("\n") else { return ImageInspection.inspect(path: path, maximumPixels: maximumPixels) }
        for attempt in 0..<2 {
            guard let worker = checkOut() else { break }
            switch worker.inspect(
                path, maximumPixels: maximumPixels, deadline: decodeDeadline, isCancelled: isCancelled)
            {
            case .inspected(let inspection):
                checkIn(worker)
                return inspection
            case .overdue:
                worker.kill()
                return Self.unreadable(
                    path, "decoding did not finish within \(decodeDeadline.shortDescription) s: the decoder was stopped"
                )
            case .cancelled:
                worker.kill()
                return Self.unreadable(path, "not inspected: the audit was cancelled")
            case .died(let how):
                worker.stop()
                // A worker that dies on its first file of a fresh start died of that file.
                if attempt == 1 || worker.served > 0 {
                    return Self.unreadable(path, "the decoder crashed on this file (\(how))")
                }
            }
        }
        return ImageInspection.inspect(path: path, maximumPixels: maximumPixels)
    }

    /// The thumbnail is made in a worker too: it decodes the file again, and a decoder that dies
    /// or hangs on it must not take the server with it. nil when none could be made.
    public func thumbnail(path: String, side: Int, maximumPixels: Int) -> [UInt8]? {
        // A path with a newline cannot cross the line protocol: no thumbnail (the gallery shows the
        // stored grey one) rather than a decode in the server.
        guard !path.contains("\n") else { return nil }
        guard let worker = checkOut() else { return nil }
        switch worker.ask(
            "thumbnail \(side) \(maximumPixels) \(path)\n", deadline: decodeDeadline, isCancelled: { false })
        {
        case .answered(let line):
            checkIn(worker)
            return Data(base64Encoded: Data(line)).flatMap { $0.isEmpty ? nil : [UInt8]($0) }
        case .overdue, .cancelled:
            worker.kill()
        case .died:
            worker.stop()
        }
        return nil
    }

    /// A file no worker could measure, and why.
    static func unreadable(_ path: String, _ detail: String) -> ImageInspection {
        var inspection = ImageInspection(path: path)
        inspection.unreadable = .init(score: nil, detail: detail)
        return inspection
    }

    private func checkOut() -> Worker? {
        if let waiting = lock.withLock({ idle.popLast() }) { return waiting }
        return Worker(command: command)
    }

    private func checkIn(_ worker: Worker) {
        let surplus = lock.withLock { () -> Worker? in
            guard idle.count < maximumIdle else { return worker }
            idle.append(worker)
            return nil
        }
        surplus?.stop()
    }

    /// One child process and the two pipes to it.
    final class Worker: @unchecked Sendable {
        enum Outcome {
            case inspected(ImageInspection)
            case died(String)
            /// No answer within the deadline.
            case overdue
            case cancelled
        }

        let process = Process()
        private let input = Pipe()
        private let output = Pipe()
        private var buffer: [UInt8] = []
        private(set) var served = 0

        init?(command: [String]) {
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
            process.standardInput = input
            process.standardOutput = output
            // libpng and libjpeg complain on stderr about every damaged file; the findings say it.
            process.standardError = FileHandle.nullDevice
            // Close-on-exec on every end, so a worker started later does not inherit this one's
            // pipes (its stdin would then never reach end-of-file). The child's own ends are
            // duplicated onto its stdin and stdout, which clears the flag there.
            for descriptor in [
                input.fileHandleForReading.fileDescriptor, input.fileHandleForWriting.fileDescriptor,
                output.fileHandleForReading.fileDescriptor, output.fileHandleForWriting.fileDescriptor,
            ] {
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            }
            do { try process.run() } catch { return nil }
        }

        func inspect(_ path: String, maximumPixels: Int, deadline: Double, isCancelled: () -> Bool) -> Outcome {
            switch ask("\(maximumPixels) \(path)\n", deadline: deadline, isCancelled: isCancelled) {
            case .answered(let answer):
                guard let inspection = try? ImageInspection(jsonBytes: answer) else {
                    return .died("it answered something unreadable")
                }
                served += 1
                return .inspected(inspection)
            case .died(let how): return .died(how)
            case .overdue: return .overdue
            case .cancelled: return .cancelled
            }
        }

        enum Answer {
            case answered([UInt8])
            case died(String)
            case overdue
            case cancelled
        }

        /// Sends one request line and waits for the answer's line.
        func ask(_ request: String, deadline: Double, isCancelled: () -> Bool) -> Answer {
            let line = Array(request.utf8)
            let written = line.withUnsafeBytes { raw in writeAll(input.fileHandleForWriting.fileDescriptor, raw) }
            guard written else { return .died(exitDescription()) }
            switch readLine(until: WallClock.now() + deadline, isCancelled: isCancelled) {
            case .line(let line): return .answered(line)
            case .closed: return .died(exitDescription())
            case .overdue: return .overdue
            case .cancelled: return .cancelled
            }
        }

        func stop() {
            try? input.fileHandleForWriting.close()
            _ = exitDescription()
        }

        /// Ends a worker that is stuck (in a decoder, or blocked opening a file): SIGKILL, then reaped.
        func kill() {
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
            stop()
        }

        private var exitStatus: String?

        /// How the worker ended. Foundation's `waitUntilExit` can miss a child's exit on Linux and
        /// wait forever (seen with a worker killed by abort(): a zombie never reaped), so the
        /// child is also reaped here, polling, with a deadline.
        private func exitDescription() -> String {
            if let exitStatus { return exitStatus }
            let deadline = Date().addingTimeInterval(10)
            var description = "it stopped answering"
            while Date() < deadline {
                if !process.isRunning {
                    description =
                        process.terminationReason == .uncaughtSignal
                        ? "signal \(process.terminationStatus)" : "exit status \(process.terminationStatus)"
                    break
                }
                var status: Int32 = 0
                if waitpid(process.processIdentifier, &status, WNOHANG) == process.processIdentifier {
                    let signal = status & 0x7F
                    description = signal == 0 ? "exit status \((status >> 8) & 0xFF)" : "signal \(signal)"
                    break
                }
                usleep(2_000)
            }
            exitStatus = description
            return description
        }

        enum Read {
            case line([UInt8])
            case closed
            case overdue
            case cancelled
        }

        /// The worker's next line, waiting in slices of a tenth of a second so that a deadline or
        /// a cancellation is noticed while it decodes.
        private func readLine(until deadline: Double, isCancelled: () -> Bool) -> Read {
            let descriptor = output.fileHandleForReading.fileDescriptor
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(buffer[..<newline])
                    buffer.removeSubrange(...newline)
                    return .line(line)
                }
                var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let ready = poll(&waiting, 1, 100)
                if ready < 0, errno == EINTR { continue }
                if ready == 0 {
                    if isCancelled() { return .cancelled }
                    if WallClock.now() >= deadline { return .overdue }
                    continue
                }
                var chunk = [UInt8](repeating: 0, count: 65_536)
                let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return .closed }
                buffer.append(contentsOf: chunk[..<count])
            }
        }

        private func writeAll(_ descriptor: Int32, _ raw: UnsafeRawBufferPointer) -> Bool {
            var offset = 0
            while offset < raw.count {
                let count = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
    }
}
