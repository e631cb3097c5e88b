import Foundation

/// Set when the client sends `$/cancelRequest` for a request; long handlers check it.
public final class CancellationToken: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false

    public init() {}

    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    public func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }

    /// Throws the LSP "request cancelled" error when the client cancelled.
    public func checkCancellation() throws(ResponseError) {
        if isCancelled { throw ResponseError(.requestCancelled, "request cancelled by the client") }
    }
}
