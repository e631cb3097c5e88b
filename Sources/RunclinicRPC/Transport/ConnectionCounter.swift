import Foundation

/// Hands out connection ids, to the socket listener's clients and the dashboard's WebSockets.
public final class ConnectionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var last = 0

    public init() {}

    public func next() -> Int {
        lock.withLock {
            last += 1
            return last
        }
    }
}
