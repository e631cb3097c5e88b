import Testing

@testable import RunclinicEngine

@Suite struct MetricSeriesDecimationTests {
    private func series(_ values: [Double], steps: [Int64]? = nil) -> MetricSeries {
        var series = MetricSeries()
        series.steps = steps ?? values.indices.map { Int64($0) }
        series.values = values
        series.times = values.indices.map { Double($0) }
        return series
    }

    @Test func aShortSeriesIsKeptWhole() {
        let whole = series([3, 1, 2])
        #expect(whole.decimated(toAtMost: 3) == whole)
        #expect(whole.decimated(toAtMost: 1) == whole)  // under 2 points a chart has no range
    }

    @Test func eachRangeKeepsItsExtremesInStepOrder() {
        // 1,000 points, a spike at 637 and a dip at 12: both survive thinning to 10 points.
        var values = (0..<1000).map { 1 + 0.001 * Double($0 % 7) }
        values[637] = 50
        values[12] = -3
        let thinned = series(values).decimated(toAtMost: 10)
        #expect(thinned.steps.count <= 10)
        #expect(thinned.steps == thinned.steps.sorted())
        #expect(thinned.steps.contains(637) && thinned.steps.contains(12))
        #expect(thinned.values.max() == 50 && thinned.values.min() == -3)
        #expect(zip(thinned.steps, thinned.values).allSatisfy { values[Int($0)] == $1 })
    }

    @Test func nonFiniteValuesAreMarkedNotAveragedAway() {
        var values = (0..<400).map { Double($0) }
        values[100] = .nan
        values[101] = .nan
        values[250] = .infinity
        values[399] = -.infinity
        let thinned = series(values).decimated(toAtMost: 16)
        #expect(thinned.steps.count <= 16)
        #expect(thinned.steps.contains(100) && !thinned.steps.contains(101))  // the first NaN of its range
        #expect(thinned.steps.contains(250) && thinned.steps.contains(399))
    }

    @Test func rangesFollowStepsNotPositions() {
        // Dense early steps and sparse late ones: the late ones are not crowded into one range.
        let steps = (0..<500).map { Int64($0) } + (1..<6).map { Int64(500 + $0 * 10_000) }
        let values = steps.map { Double($0 % 13) }
        let thinned = series(values, steps: steps).decimated(toAtMost: 20)
        #expect(thinned.steps.filter { $0 > 500 }.count == 5)
    }
}
