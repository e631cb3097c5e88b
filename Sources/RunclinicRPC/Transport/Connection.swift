import Foundation
import Logging
import RunclinicJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One client: reads framed messages from a file descriptor, dispatches them, and answers through
/// its handle. Requests from one connection run in order, except those whose method is
/// `.concurrent`, which run on their own thread so that `$/cancelRequest` can reach them.
public final class Connection: @unchecked Sendable {
    public let handle: ConnectionHandle
    private let inputDescriptor: Int32
    private let configuration: ServerConfiguration
    private let logger: Logger
    private let spinMicroseconds: Int
    private var reader: FrameReader
    private var shuttingDown = false
    private var exitRequested = false

    private let inFlightLock = NSLock()
    private var inFlight: [String: CancellationToken] = [:]
    /// Concurrent requests read in the current chunk, started once the chunk is processed, so a
    /// `$/cancelRequest` sent right behind a request is seen before its work begins.
    private var pendingStarts: [Thread] = []
    /// Concurrent requests still running: the connection waits for their replies before it ends.
    private let running = DispatchGroup()

    /// Why the read loop ended.
    public enum EndReason: Sendable {
        case endOfInput
        case exitNotification
        case brokenFraming
        case readError(Int32)
        /// The server is stopping (SIGTERM) and the input had nothing more waiting.
        case serverStopping
    }

    public init(
        id: Int, input: Int32, output: Int32, peerDescription: String, configuration: ServerConfiguration,
        logger: Logger
    ) {
        self.handle = ConnectionHandle(id: id, fileDescriptor: output, peerDescription: peerDescription)
        self.inputDescriptor = input
        self.configuration = configuration
        self.logger = logger
        self.spinMicroseconds = configuration.spinMicroseconds
        self.reader = FrameReader(limit: configuration.maximumMessageBytes)
    }

    /// Reads and serves until the peer closes, sends `exit`, or breaks the framing; then waits
    /// for the replies of requests still running (a script may close its input right after asking).
    public func run() -> EndReason {
        var reason: EndReason? = nil
        while reason == nil { reason = serve(parkingAfter: nil) }
        finish()
        return reason!
    }

    /// Serves until the connection ends (its reason; call `finish` then), or until it has sent
    /// nothing for `idleMilliseconds` (nil: the caller may park it and serve it again later).
    public func serveUntilIdle(idleMilliseconds: Int32) -> EndReason? {
        serve(parkingAfter: idleMilliseconds)
    }

    /// Waits for the replies of requests still running, and sends what is buffered.
    public func finish() {
        for thread in pendingStarts { thread.start() }
        pendingStarts.removeAll()
        running.wait()
        handle.flush()
    }

    /// nil: idle for `parkingAfter` milliseconds.
    private func serve(parkingAfter idleMilliseconds: Int32?) -> EndReason? {
        let chunkSize = 1 << 16
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 1)
        defer { chunk.deallocate() }
        // The stop gate is held while input is waiting: a stopping server serves what was sent
        // before it stopped, and does not wait for more.
        let gate = configuration.stopGate
        var holding = false
        defer { if holding { gate.leave() } }
        while true {
            if !awaitInputBriefly() && !inputIsWaiting() {
                if holding {
                    gate.leave()
                    holding = false
                }
                if gate.isStopping { return .serverStopping }
                if let idleMilliseconds, !inputIsWaiting(milliseconds: idleMilliseconds) {
                    handle.flush()
                    return nil
                }
            }
            let count = read(inputDescriptor, chunk.baseAddress, chunkSize)
            if count < 0 {
                if errno == EINTR { continue }
                handle.flush()
                return .readError(errno)
            }
            if count == 0 {
                handle.flush()
                return .endOfInput
            }
            if !holding {
                guard gate.enter() else { return .serverStopping }
                holding = true
            }
            reader.consume(UnsafeRawBufferPointer(rebasing: chunk[0..<count])) { event, framing in
                handle.framing = framing
                self.handleFrameEvent(event)
            }
            // After the reader has let go of the message's bytes too, before the reply goes out.
            if servedLargeMessage {
                servedLargeMessage = false
                LargeMessageMemory.release()
            }
            for thread in pendingStarts { thread.start() }
            pendingStarts.removeAll()
            handle.flush()
            if exitRequested { return .exitNotification }
            if reader.isBroken { return .brokenFraming }
        }
    }

    private func inputIsWaiting(milliseconds: Int32 = 0) -> Bool {
        var descriptor = pollfd(fd: inputDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, milliseconds) > 0
    }

    /// Waking a thread blocked in read() costs ~30 µs on a virtual machine (an inter-processor
    /// interrupt), more than serving a request. A client making synchronous calls sends the next
    /// one within microseconds, so poll for it briefly before blocking.
    /// True when input (or the end of it) is waiting.
    private func awaitInputBriefly() -> Bool {
        guard spinMicroseconds > 0 else { return false }
        var descriptor = pollfd(fd: inputDescriptor, events: Int16(POLLIN), revents: 0)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(spinMicroseconds) * 1000
        repeat {
            if poll(&descriptor, 1, 0) != 0 { return true }
        } while DispatchTime.now().uptimeNanoseconds < deadline
        return false
    }

    private func handleFrameEvent(_ event: FrameEvent) {
        switch event {
        case .message(let bytes):
            handleMessage(bytes)
        case .oversized(let bytes, let limit):
            logger.warning("message of \(bytes) bytes over the \(limit)-byte limit skipped")
            handle.enqueue(
                OutgoingMessage.error(
                    id: .null,
                    .invalidRequest(
                        "message of \(bytes) bytes exceeds the limit of \(limit) bytes (--max-message-bytes)",
                        data: ["bytes": .int(Int64(bytes)), "limit": .int(Int64(limit))])))
        case .oversizedDeclared(let bytes, let limit):
            logger.warning("Content-Length \(bytes) over the \(limit)-byte limit, closing the connection")
            handle.enqueue(
                OutgoingMessage.error(
                    id: .null,
                    .invalidRequest(
                        "Content-Length \(bytes) exceeds the limit of \(limit) bytes (--max-message-bytes); the connection is closed",
                        data: ["bytes": .int(Int64(bytes)), "limit": .int(Int64(limit))])))
        case .malformedHeader(let reason):
            logger.warning("unreadable message headers, closing: \(reason)")
            handle.enqueue(OutgoingMessage.error(id: .null, .parseError(reason)))
        }
    }

    /// Messages at least this large are served one at a time across connections, and their memory
    /// is handed back to the system after: four clients sending 16 MiB at once cost one message's
    /// worth, and a server does not keep a peak's memory for good.
    static let largeMessageBytes = 1 << 20
    private static let largeMessages = NSLock()
    /// Set when a large message was served in the chunk being read: its memory is handed back.
    private var servedLargeMessage = false

    private func handleMessage(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.largeMessageBytes else { return serveMessage(bytes) }
        Self.largeMessages.withLock { serveMessage(bytes) }
        servedLargeMessage = true
    }

    private func serveMessage(_ bytes: UnsafeRawBufferPointer) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            handle.enqueue(OutgoingMessage.error(id: .null, .parseError(error.description, offset: error.offset)))
            return
        }
        guard case .array(let elements) = value else {
            if let reply = process(value, inBatch: false) { handle.enqueue(reply) }
            return
        }
        guard !elements.isEmpty else {
            handle.enqueue(OutgoingMessage.error(id: .null, .invalidRequest("empty batch")))
            return
        }
        let replies = elements.compactMap { process($0, inBatch: true) }
        if !replies.isEmpty { handle.enqueue(.array(replies)) }
    }

    /// Handles one message (or batch entry) and returns the reply to send, if any.
    private func process(_ value: JSONValue, inBatch: Bool) -> JSONValue? {
        switch IncomingMessage.validate(value) {
        case .failure(let invalid):
            return OutgoingMessage.error(id: invalid.id, invalid.error)
        case .success(.response):
            return nil
        case .success(.notification(let method, let params)):
            handleNotification(method: method, params: params)
            return nil
        case .success(.request(let id, let method, let params)):
            return handleRequest(id: id, method: method, params: params, inBatch: inBatch)
        }
    }

    private func handleNotification(method: String, params: JSONValue?) {
        switch method {
        case "exit":
            exitRequested = true
            return
        case "$/cancelRequest":
            if let id = params?["id"] { cancel(id) }
            return
        case "initialized", "$/setTrace":
            return
        case "initialize":
            handle.peer.update(fromInitializeParams: params)
        default:
            break
        }
        guard let entry = configuration.registry.entry(for: method) else {
            reportNotificationFailure(method: method, .methodNotFound(method, known: configuration.registry.names))
            return
        }
        let context = RequestContext(id: nil, method: method, cancellation: CancellationToken(), connection: handle)
        do {
            _ = try entry.call(params: params, context: context)
        } catch {
            reportNotificationFailure(method: method, configuration.responseError(for: error))
        }
    }

    /// A notification gets no reply, but a failure must not pass unseen by a client that asked at
    /// `initialize`: it is told with a `$/notificationError` notification. Others are sent nothing.
    private func reportNotificationFailure(method: String, _ error: ResponseError) {
        logger.debug("notification \(method) failed: \(error)")
        guard handle.peer.wantsNotificationErrors else { return }
        handle.enqueue(
            OutgoingMessage.notification(
                method: "$/notificationError",
                params: [
                    "method": .string(method), "error": error.json,
                ]))
    }

    private func handleRequest(id: JSONValue, method: String, params: JSONValue?, inBatch: Bool) -> JSONValue? {
        if shuttingDown {
            return OutgoingMessage.error(id: id, .invalidRequest("the server is shutting down (only exit is accepted)"))
        }
        guard let entry = configuration.registry.entry(for: method) else {
            return OutgoingMessage.error(id: id, .methodNotFound(method, known: configuration.registry.names))
        }
        let handler = entry.handler
        if method == "initialize" { handle.peer.update(fromInitializeParams: params) }
        let token = CancellationToken()
        let context = RequestContext(id: id, method: method, cancellation: token, connection: handle)
        if handler.execution == .concurrent && !inBatch {
            let key = Self.key(for: id)
            inFlightLock.withLock { inFlight[key] = token }
            running.enter()
            let thread = Thread { [self] in
                let reply = invoke(entry, params: params, context: context)
                inFlightLock.withLock { _ = inFlight.removeValue(forKey: key) }
                handle.send(reply)
                running.leave()
            }
            thread.name = "runclinic-\(method)"
            thread.stackSize = 8 << 20
            pendingStarts.append(thread)
            return nil
        }
        let reply = invoke(entry, params: params, context: context)
        if method == "shutdown" { shuttingDown = true }
        return reply
    }

    private func invoke(_ entry: MethodRegistry.Entry, params: JSONValue?, context: RequestContext) -> JSONValue {
        let id = context.id ?? .null
        do {
            try context.cancellation.checkCancellation()
            let result = try entry.call(params: params, context: context)
            try context.cancellation.checkCancellation()
            return OutgoingMessage.result(id: id, result)
        } catch {
            return OutgoingMessage.error(id: id, configuration.responseError(for: error))
        }
    }

    private func cancel(_ id: JSONValue) {
        let token = inFlightLock.withLock { inFlight[Self.key(for: id)] }
        token?.cancel()
    }

    private static func key(for id: JSONValue) -> String {
        JSONWriter.string(id)
    }
}
