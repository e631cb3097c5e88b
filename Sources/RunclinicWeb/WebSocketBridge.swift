import Foundation
import Logging
import RunclinicJSON
import RunclinicRPC

#if canImport(Glibc)
    import Glibc
#endif

/// Where a dashboard's JSON-RPC messages are served.
public enum DashboardUpstream: Sendable {
    /// By this process, on the store it opened.
    case inProcess(ServerConfiguration)
    /// By a trainer's own server, on its Unix socket (`runclinic serve --socket`).
    case unixSocket(String)
}

/// Serves one WebSocket with the same JSON-RPC connection as a socket client: each text frame is
/// one message handed on Content-Length framed (so a frame may hold newlines), and each message
/// that comes back, replies and notifications alike, goes out as one text frame. In process, the
/// messages go to a `Connection` over a socket pair; attached to a trainer, to its socket.
/// Subscriptions, cancellation and batches work as on the Unix socket, with no second
/// implementation.
final class WebSocketBridge: @unchecked Sendable {
    private let local: Int32
    private let connection: (Connection, remote: Int32)?
    /// Guards `local` against use after the reader has closed it.
    private let lock = NSLock()
    private var closed = false
    private let logger: Logger
    private let limit: Int

    init(id: Int, upstream: DashboardUpstream, maximumMessageBytes: Int, logger: Logger) throws {
        self.logger = logger
        limit = maximumMessageBytes
        switch upstream {
        case .inProcess(let configuration):
            var pair: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
                throw WebSocketBridgeError.socketPair(errno)
            }
            local = pair[0]
            connection = (
                Connection(
                    id: id, input: pair[1], output: pair[1], peerDescription: "dashboard",
                    configuration: configuration, logger: logger), pair[1]
            )
        case .unixSocket(let path):
            local = try UnixSocketClient.connect(path: path)
            connection = nil
        }
    }

    /// Starts the connection's reader; `outgoing` yields what it sends, one message at a time,
    /// until the connection ends.
    func start() -> AsyncStream<String> {
        if let (connection, remote) = self.connection {
            Thread.detachNewThread {
                _ = connection.run()
                Glibc.close(remote)
            }
        }
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .unbounded)
        let limit = self.limit
        let logger = self.logger
        Thread.detachNewThread { [self] in
            var reader = FrameReader(limit: limit, framing: .contentLength)
            let chunkSize = 1 << 16
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 1)
            defer { chunk.deallocate() }
            while true {
                let count = read(local, chunk.baseAddress, chunkSize)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                reader.consume(UnsafeRawBufferPointer(rebasing: chunk[0..<count])) { event, _ in
                    if case .message(let bytes) = event {
                        continuation.yield(String(decoding: bytes, as: UTF8.self))
                    } else {
                        logger.warning("dashboard bridge: unexpected frame event \(event)")
                    }
                }
            }
            // The upstream has ended: nothing more will be read or written here.
            lock.withLock {
                closed = true
                Glibc.close(local)
            }
            continuation.finish()
        }
        return stream
    }

    /// Hands one message on; false once the upstream has ended.
    func deliver(_ text: String) -> Bool {
        var framed: [UInt8] = []
        MessageFraming.contentLength.frame(Array(text.utf8), into: &framed)
        return lock.withLock { !closed && ConnectionHandle.writeAll(framed, to: local) }
    }

    /// The page went away (or sent something unreadable): the upstream reads to its end, answers
    /// what is running, and stops; the reader then closes the socket. Safe to call more than once.
    func finishInput() {
        lock.withLock {
            if !closed { shutdown(local, Int32(SHUT_WR)) }
        }
    }
}

enum WebSocketBridgeError: Error, CustomStringConvertible {
    case socketPair(Int32)

    var description: String {
        switch self {
        case .socketPair(let code):
            "cannot make a socket pair for a dashboard connection: \(String(cString: strerror(code)))"
        }
    }
}
