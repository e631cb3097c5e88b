import Foundation

extension Array where Element: Sendable {
    /// `map` on every core, results in order: for pure work on independent elements (the keypoint
    /// alignment of near-duplicate candidates), which ran on one core while the other sat idle
    /// at the end of an audit.
    func concurrentMap<Result: Sendable>(_ transform: @Sendable (Element) -> Result) -> [Result] {
        guard count > 1 else { return map(transform) }
        let slots = Slots<Result>(count: count)
        let elements = self
        DispatchQueue.concurrentPerform(iterations: count) { index in slots[index] = transform(elements[index]) }
        return (0..<count).map { slots[$0]! }
    }
}

/// One slot per iteration: each is written by its own iteration only, and read after all have
/// finished (concurrentPerform returns once every iteration has).
private final class Slots<Value>: @unchecked Sendable {
    private let storage: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil)
    }

    deinit {
        _ = storage.deinitialize()
        storage.deallocate()
    }

    subscript(index: Int) -> Value? {
        get { storage[index] }
        set { storage[index] = newValue }
    }
}
