/// Points in columns (one entry per point), metric names interned: millions of points without
/// an object per point.
public struct ImportedMetrics: Sendable {
    public private(set) var keys: [String] = []
    private var indexByKey: [String: Int32] = [:]
    public private(set) var keyIndices: [Int32] = []
    public private(set) var steps: [Int64] = []
    public private(set) var values: [Double] = []
    public private(set) var times: [Double] = []

    public var count: Int { steps.count }

    mutating func keyIndex(_ key: String) -> Int32 {
        if let index = indexByKey[key] { return index }
        let index = Int32(keys.count)
        keys.append(key)
        indexByKey[key] = index
        return index
    }

    mutating func append(keyIndex: Int32, step: Int64, value: Double, time: Double) {
        keyIndices.append(keyIndex)
        steps.append(step)
        values.append(value)
        times.append(time)
    }

    /// Another reading's points after these (a later log of the same run).
    mutating func append(contentsOf other: ImportedMetrics) {
        for index in 0..<other.count {
            append(
                other.keys[Int(other.keyIndices[index])], step: other.steps[index], value: other.values[index],
                time: other.times[index])
        }
    }

    mutating func append(_ key: String, step: Int64, value: Double, time: Double) {
        append(keyIndex: keyIndex(key), step: step, value: value, time: time)
    }

    mutating func reserveCapacity(_ count: Int) {
        keyIndices.reserveCapacity(count)
        steps.reserveCapacity(count)
        values.reserveCapacity(count)
        times.reserveCapacity(count)
    }

    /// Sets every point's time (formats without per-point times).
    mutating func setAllTimes(_ time: Double) {
        for index in times.indices { times[index] = time }
    }

    /// The points as one series per key, in step order (a repeated point keeps its last value).
    func seriesByKey() -> [(name: String, series: MetricSeries)] {
        var series = [MetricSeries](repeating: MetricSeries(), count: keys.count)
        for index in orderByStep() {
            let slot = Int(keyIndices[index])
            if series[slot].steps.last == steps[index] {
                series[slot].values[series[slot].values.count - 1] = values[index]
                series[slot].times[series[slot].times.count - 1] = times[index]
            } else {
                series[slot].steps.append(steps[index])
                series[slot].values.append(values[index])
                series[slot].times.append(times[index])
            }
        }
        return zip(keys, series).map { (name: $0, series: $1) }
    }

    /// Point indices ordered by step, file order kept within a step (the last of a repeated
    /// point wins when stored).
    func orderByStep() -> [Int] {
        var isSorted = true
        var index = 1
        while index < steps.count, isSorted {
            isSorted = steps[index - 1] <= steps[index]
            index += 1
        }
        let indices = Array(steps.indices)
        if isSorted { return indices }
        return indices.sorted { steps[$0] != steps[$1] ? steps[$0] < steps[$1] : $0 < $1 }
    }

    /// `order` (by step) with only the last point of each key at each step.
    func lastOfEachStep(_ order: [Int]) -> [Int] {
        var kept: [Int] = []
        kept.reserveCapacity(order.count)
        var position = 0
        while position < order.count {
            // The points of one step, of which the last of each key is kept (in their order).
            var end = position
            while end < order.count, steps[order[end]] == steps[order[position]] { end += 1 }
            var seen: Set<UInt32> = []
            var latest: [Int] = []
            for index in order[position..<end].reversed() where seen.insert(UInt32(keyIndices[index])).inserted {
                latest.append(index)
            }
            kept += latest.reversed()
            position = end
        }
        return kept
    }
}
