/// The last `capacity` finite values of a series, oldest first.
struct TrailingWindow: Sendable {
    let capacity: Int
    private var storage: [Double] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    var count: Int { storage.count }
    var isFull: Bool { storage.count == capacity }

    mutating func append(_ value: Double) {
        if storage.count < capacity {
            storage.append(value)
        } else {
            storage[next] = value
            next = (next + 1) % capacity
        }
    }

    /// Oldest to newest.
    var values: [Double] {
        storage.count < capacity ? storage : Array(storage[next...] + storage[..<next])
    }

    /// Median and median absolute deviation, selected in scratch memory: detectors ask for them
    /// on the logging path, where sorting (and its allocations) was the monitor's main cost.
    func medianAndMAD() -> (median: Double, mad: Double)? {
        guard !storage.isEmpty else { return nil }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: storage.count) { scratch in
            _ = scratch.initialize(from: storage)
            let median = Self.median(ofScratch: scratch)
            for index in scratch.indices { scratch[index] = abs(scratch[index] - median) }
            return (median, Self.median(ofScratch: scratch))
        }
    }

    /// The value below which `fraction` of the window lies (the element at that rank).
    func quantile(_ fraction: Double) -> Double? {
        guard !storage.isEmpty else { return nil }
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: storage.count) { scratch in
            _ = scratch.initialize(from: storage)
            return Self.select(Int(fraction * Double(storage.count - 1)), in: scratch)
        }
    }

    /// The median of `values`, reordering them.
    private static func median(ofScratch values: UnsafeMutableBufferPointer<Double>) -> Double {
        let middle = values.count / 2
        let upper = select(middle, in: values)
        guard values.count % 2 == 0 else { return upper }
        // After selection everything before `middle` is at most `upper`: the lower middle is their maximum.
        var lower = values[0]
        for index in 1..<middle { lower = max(lower, values[index]) }
        return (lower + upper) / 2
    }

    /// The `rank`-th smallest of `values` (quickselect, in place: what is before it is not greater,
    /// what is after it not smaller).
    static func select(_ rank: Int, in values: UnsafeMutableBufferPointer<Double>) -> Double {
        var low = 0
        var high = values.count - 1
        while low < high {
            // The median of three as pivot keeps sorted and reversed windows linear.
            let middle = low + (high - low) / 2
            if values[middle] < values[low] { values.swapAt(middle, low) }
            if values[high] < values[low] { values.swapAt(high, low) }
            if values[high] < values[middle] { values.swapAt(high, middle) }
            let pivot = values[middle]
            var left = low
            var right = high
            while left <= right {
                while values[left] < pivot { left += 1 }
                while values[right] > pivot { right -= 1 }
                if left <= right {
                    values.swapAt(left, right)
                    left += 1
                    right -= 1
                }
            }
            if rank <= right { high = right } else if rank >= left { low = left } else { return values[rank] }
        }
        return values[rank]
    }

    static func median(_ values: [Double]) -> Double {
        var copy = values
        return copy.withUnsafeMutableBufferPointer { median(ofScratch: $0) }
    }
}
