import Testing

@testable import RunclinicEngine

/// Medians, MADs and quantiles by selection agree with sorting, ties and even counts included.
@Suite struct TrailingWindowTests {
    static func sortedMedian(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    @Test func selectionAgreesWithSorting() {
        var generator = SystemRandomNumberGenerator()
        for trial in 0..<500 {
            let count = 1 + trial % 97
            // Few distinct values in some trials: ties are where partitioning goes wrong.
            let values: [Double] = (0..<count).map { _ in
                trial % 3 == 0
                    ? Double(Int.random(in: 0..<4, using: &generator)) : Double.random(in: -5...5, using: &generator)
            }
            var window = TrailingWindow(capacity: count)
            for value in values { window.append(value) }
            let median = Self.sortedMedian(values)
            let (selected, mad) = window.medianAndMAD()!
            #expect(selected == median)
            #expect(mad == Self.sortedMedian(values.map { abs($0 - median) }))
            #expect(TrailingWindow.median(values) == median)
            let rank = Int(0.9 * Double(count - 1))
            #expect(window.quantile(0.9) == values.sorted()[rank])
        }
    }

    @Test func sortedAndReversedWindowsAndTheOldestValuesLeaving() {
        var window = TrailingWindow(capacity: 5)
        for value in [9.0, 8, 7, 6, 5, 4, 3, 2, 1] { window.append(value) }
        #expect(window.values == [5, 4, 3, 2, 1])
        #expect(window.medianAndMAD()! == (3, 1))
        #expect(window.quantile(0) == 1 && window.quantile(1) == 5)
    }
}
