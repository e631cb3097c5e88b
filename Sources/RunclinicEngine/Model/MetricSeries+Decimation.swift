extension MetricSeries {
    /// At most `limit` points that draw like the whole series at `limit / 2` pixel columns: the
    /// steps are cut into equal ranges and each keeps its lowest and highest value, so a spike is
    /// never averaged away. A range that holds NaN or an infinity also keeps the first of each,
    /// so a chart can mark it; the ranges are then fewer (a quarter of `limit`).
    public func decimated(toAtMost limit: Int) -> MetricSeries {
        guard steps.count > limit, limit >= 2, let first = steps.first, let last = steps.last else { return self }
        let hasNonFinite = values.contains { !$0.isFinite }
        let buckets = max(1, hasNonFinite ? limit / 4 : limit / 2)
        let span = Double(last) - Double(first) + 1
        var kept: [Int] = []
        kept.reserveCapacity(limit)
        var index = 0
        for bucket in 0..<buckets {
            let end =
                bucket == buckets - 1 ? Double.infinity : Double(first) + span * Double(bucket + 1) / Double(buckets)
            var lowest: Int? = nil
            var highest: Int? = nil
            var firstNaN: Int? = nil
            var firstPositiveInfinity: Int? = nil
            var firstNegativeInfinity: Int? = nil
            while index < steps.count, Double(steps[index]) < end {
                let value = values[index]
                if value.isNaN {
                    if firstNaN == nil { firstNaN = index }
                } else if value == .infinity {
                    if firstPositiveInfinity == nil { firstPositiveInfinity = index }
                } else if value == -.infinity {
                    if firstNegativeInfinity == nil { firstNegativeInfinity = index }
                } else {
                    if lowest.map({ value < values[$0] }) ?? true { lowest = index }
                    if highest.map({ value > values[$0] }) ?? true { highest = index }
                }
                index += 1
            }
            let chosen = Set(
                [lowest, highest, firstNaN, firstPositiveInfinity, firstNegativeInfinity].compactMap { $0 })
            kept.append(contentsOf: chosen.sorted().prefix(hasNonFinite ? 4 : 2))
        }
        var result = MetricSeries()
        result.steps = kept.map { steps[$0] }
        result.values = kept.map { values[$0] }
        result.times = kept.map { times[$0] }
        return result
    }
}
