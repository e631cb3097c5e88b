import Foundation
import Synchronization

/// Prepares items on a background thread, at most `depth` ahead of the consumer, handing them out
/// in order: an import parses the next run, and judges the current one, while the caller stores it.
final class ReadAhead<Output: Sendable>: Sendable {
    private let slots: DispatchSemaphore
    private let ready = DispatchSemaphore(value: 0)
    private let results = Mutex<[Int: Output]>([:])
    private let stopped = Atomic<Bool>(false)
    private let count: Int

    init(count: Int, depth: Int = 2, prepare: @escaping @Sendable (Int) -> Output) {
        self.count = count
        // Made at 0 and raised: libdispatch traps when a semaphore is freed below the value it was
        // made with, as this one is when the consumer gives up (an import that fails midway).
        slots = DispatchSemaphore(value: 0)
        for _ in 0..<depth { slots.signal() }
        let thread = Thread { [self] in
            for index in 0..<count {
                slots.wait()
                if stopped.load(ordering: .relaxed) { return }
                let output = prepare(index)
                results.withLock { $0[index] = output }
                ready.signal()
            }
        }
        thread.name = "runclinic-read-ahead"
        thread.start()
    }

    /// The item at `index`; called with 0, 1, 2... in order.
    func next(_ index: Int) -> Output {
        ready.wait()
        let output = results.withLock { $0.removeValue(forKey: index)! }
        slots.signal()
        return output
    }

    /// Stops preparing (the consumer gave up); an item being prepared still finishes.
    func cancel() {
        stopped.store(true, ordering: .relaxed)
        for _ in 0..<count { slots.signal() }
    }
}
