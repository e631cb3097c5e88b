/// Fills a series' missing or non-finite values by straight lines between their finite
/// neighbours (the ends take the nearest finite value), so a search keeps the series' indices.
public enum SeriesGaps {
    public static func filled(_ values: [Double]) -> (values: [Double], filled: Int) {
        var result = values
        var filled = 0
        var previous: Int? = nil
        for index in values.indices where values[index].isFinite {
            let gapStart = (previous ?? -1) + 1
            if gapStart < index {
                for gap in gapStart..<index {
                    if let previous {
                        let fraction = Double(gap - previous) / Double(index - previous)
                        result[gap] = values[previous] + fraction * (values[index] - values[previous])
                    } else {
                        result[gap] = values[index]
                    }
                    filled += 1
                }
            }
            previous = index
        }
        guard let previous else { return (values.map { _ in 0 }, values.count) }
        for gap in (previous + 1)..<values.count {
            result[gap] = values[previous]
            filled += 1
        }
        return (result, filled)
    }
}
