import Foundation
import RunclinicJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The sending side of a connection, shared by its reader thread, concurrent handlers and alert
/// senders. Replies to pipelined requests are buffered and written together; everything else is
/// written at once.
public final class ConnectionHandle: @unchecked Sendable {
    public let id: Int
    public let peerDescription: String
    private let fileDescriptor: Int32
    private let lock = NSLock()
    private var pending: [UInt8] = []
    private var framingValue: MessageFraming = .newlineDelimited
    private var peerValue = PeerCapabilities()
    private var closed = false

    init(id: Int, fileDescriptor: Int32, peerDescription: String) {
        self.id = id
        self.fileDescriptor = fileDescriptor
        self.peerDescription = peerDescription
    }

    /// A handle with no peer: what is sent to it is dropped (handlers called in process).
    public static func detached() -> ConnectionHandle {
        let handle = ConnectionHandle(id: -1, fileDescriptor: -1, peerDescription: "in process")
        handle.lock.withLock { handle.closed = true }
        return handle
    }

    var framing: MessageFraming {
        get { lock.withLock { framingValue } }
        set { lock.withLock { framingValue = newValue } }
    }

    /// What the peer said it reads, at `initialize`.
    public var peer: PeerCapabilities {
        get { lock.withLock { peerValue } }
        set { lock.withLock { peerValue = newValue } }
    }

    public var isClosed: Bool { lock.withLock { closed } }

    /// Buffers a message; `flush` writes it.
    func enqueue(_ message: JSONValue) {
        let body = JSONWriter.encode(message, nonFinite: peer.readsNonFiniteNumbers ? .tokens : .strings)
        lock.withLock {
            guard !closed else { return }
            framingValue.frame(body, into: &pending)
        }
    }

    /// Writes a message now (notifications, replies from concurrent handlers).
    public func send(_ message: JSONValue) {
        enqueue(message)
        flush()
    }

    func flush() {
        lock.withLock {
            guard !closed, !pending.isEmpty else { return }
            if !Self.writeAll(pending, to: fileDescriptor) { closed = true }
            pending.removeAll(keepingCapacity: pending.count < 1 << 20)
        }
    }

    /// Writes every byte, retrying on EINTR and short writes; false when the peer is gone.
    public static func writeAll(_ bytes: [UInt8], to fileDescriptor: Int32) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }
}
