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

    /// Median and median absolute deviation.
    func medianAndMAD() -> (median: Double, mad: Double)? {
        guard !storage.isEmpty else { return nil }
        let median = Self.median(storage)
        return (median, Self.median(storage.map { abs($0 - median) }))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
