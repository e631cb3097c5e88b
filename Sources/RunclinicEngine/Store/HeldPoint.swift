/// One metric point accepted by the writer and waiting for its multi-row insert.
struct HeldPoint {
    let runID: Int64
    let keyID: Int64
    let step: Int64
    let value: Double
    let time: Double
    let attempt: Int64
    /// Later than any step this writer knows of its key: the row cannot exist yet unless another
    /// writer logs the same key of the same run (see StoreWriter+PostgreSQLPoints).
    var fresh = false
}

extension HeldPoint {
    /// Binds `points` to a multi-row insert of `StoreWriter.insertPointsSQL`, six parameters each.
    static func bind(_ points: ArraySlice<HeldPoint>, to insert: any DatabaseStatement) {
        for (offset, point) in points.enumerated() {
            let base = Int32(offset * 6)
            insert.bind(point.runID, at: base + 1)
            insert.bind(point.keyID, at: base + 2)
            insert.bind(point.step, at: base + 3)
            insert.bind(point.value, at: base + 4)
            insert.bind(point.time, at: base + 5)
            insert.bind(point.attempt, at: base + 6)
        }
    }

    /// `points` with only the last of each (run, attempt, step, key), in their order. Repeats are
    /// rare (a metric logged twice at one step), so the common case returns `points` as is.
    static func lastOfEach(_ points: [HeldPoint]) -> [HeldPoint] {
        struct Key: Hashable {
            let runID: Int64, attempt: Int64, step: Int64, keyID: Int64
        }
        var seen: Set<Key> = []
        seen.reserveCapacity(points.count)
        var repeated = false
        for point in points.reversed()
        where !seen.insert(Key(runID: point.runID, attempt: point.attempt, step: point.step, keyID: point.keyID))
            .inserted
        {
            repeated = true
            break
        }
        guard repeated else { return points }
        seen.removeAll(keepingCapacity: true)
        var kept: [HeldPoint] = []
        for point in points.reversed()
        where seen.insert(Key(runID: point.runID, attempt: point.attempt, step: point.step, keyID: point.keyID))
            .inserted
        {
            kept.append(point)
        }
        return kept.reversed()
    }
}
