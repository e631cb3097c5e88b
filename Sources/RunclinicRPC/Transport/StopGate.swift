import Foundation

/// Lets a server stop (on SIGTERM) without dropping what its clients sent. A connection holds the
/// gate from the moment it reads until its input runs dry; `stop` waits for every connection to
/// let go (at most a timeout) before the store is closed, and a stopping connection ends as soon
/// as it has nothing more waiting.
public final class StopGate: @unchecked Sendable {
    private let condition = NSCondition()
    private var busy = 0
    private var stopping = false
    private var closed = false

    public init() {}

    public var isStopping: Bool { condition.withLock { stopping } }

    /// Before serving input just read: false once the server has closed (it is not served).
    func enter() -> Bool {
        condition.withLock {
            guard !closed else { return false }
            busy += 1
            return true
        }
    }

    func leave() {
        condition.withLock {
            busy -= 1
            condition.broadcast()
        }
    }

    /// Returns once every connection has served the input it had (at most `timeout` seconds);
    /// what a connection reads after this is not served.
    public func stop(timeout: Double) {
        condition.lock()
        defer { condition.unlock() }
        stopping = true
        let deadline = Date(timeIntervalSinceNow: timeout)
        while busy > 0 && condition.wait(until: deadline) {}
        closed = true
    }
}
