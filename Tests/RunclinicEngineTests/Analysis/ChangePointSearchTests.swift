import Foundation
import Testing

@testable import RunclinicEngine

@Suite struct ChangePointSearchTests {
    /// A repeatable normal noise source (Box-Muller over a linear congruential generator).
    struct Noise {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let first = Double(state >> 11) / Double(1 << 53)
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let second = Double(state >> 11) / Double(1 << 53)
            return (-2 * log(max(first, 1e-300))).squareRoot() * cos(2 * Double.pi * second)
        }
    }

    /// Optimal partitioning by trying every last split (O(n²)): what PELT must match exactly.
    static func bruteForce(_ cost: any SegmentCost, penalty: Double, shortest: Int) -> (points: [Int], total: Double) {
        let count = cost.count
        var best = [Double](repeating: .infinity, count: count + 1)
        var last = [Int](repeating: 0, count: count + 1)
        best[0] = -penalty
        for end in 1...count {
            for start in 0..<end where end - start >= shortest && (start == 0 || start >= shortest) {
                let total = best[start] + cost.cost(start, end) + penalty
                if total < best[end] {
                    best[end] = total
                    last[end] = start
                }
            }
        }
        var points: [Int] = []
        var end = count
        while end > 0 {
            if last[end] > 0 { points.append(last[end]) }
            end = last[end]
        }
        return (points.reversed(), best[count])
    }

    @Test(arguments: SegmentModel.allCases)
    func prunedSearchFindsTheExactOptimum(model: SegmentModel) {
        var noise = Noise(state: 7)
        for trial in 0..<6 {
            let levels = [0.0, 2.5, -1.0, 1.5]
            var values: [Double] = []
            for index in 0..<240 {
                let level: Double = levels[(index * (trial + 2) / 240) % levels.count]
                let drift: Double = 0.02 * Double(index % 37)
                values.append(level + drift + noise.next())
            }
            let search = ChangePointSearch(model: model, penalty: .bic, minimumSegmentLength: 3, noise: .differences)
            let cost = model.cost(for: values, variance: model == .meanVariance ? nil : 0.8)
            let pruned = search.run(cost)
            let exact = Self.bruteForce(
                cost, penalty: search.penaltyValue(for: cost), shortest: max(3, cost.minimumSegmentLength))
            #expect(pruned.changePoints == exact.points, "trial \(trial)")
            #expect(abs(pruned.totalCost - exact.total) < 1e-6 * max(1, abs(exact.total)))
        }
    }

    @Test func aLevelShiftIsFoundWhereItHappens() {
        var noise = Noise(state: 3)
        var values: [Double] = []
        for index in 0..<400 { values.append((index < 250 ? 0.89 : 0.74) + 0.01 * noise.next()) }
        for model in SegmentModel.allCases {
            #expect(ChangePointSearch(model: model).run(values).changePoints == [250], "\(model)")
        }
    }

    @Test func aSmoothlyFallingLossIsNotCutIntoAStaircase() {
        var noise = Noise(state: 11)
        // A loss curve: fast then slow decay towards 0.3, noise 2% of its range.
        var values: [Double] = []
        for index in 0..<2_000 {
            let decay: Double = 2.0 * exp(-Double(index) / 300)
            values.append(0.3 + decay + 0.04 * noise.next())
        }
        let linear = ChangePointSearch().run(values)
        #expect(linear.changePoints.count <= 3)
        // Judged against the white-noise level, the same curve is a staircase: the default's reason.
        let strict = ChangePointSearch(model: .mean, noise: .differences).run(values)
        #expect(strict.changePoints.count > 10)
    }

    @Test func aKinkInATrendIsOneChangeForTheLinearModel() {
        var noise = Noise(state: 5)
        // Learning-rate drop: the loss stops falling at step 600.
        var values: [Double] = []
        for index in 0..<1_000 {
            let trend: Double = index < 600 ? 2.0 - 0.002 * Double(index) : 0.8
            values.append(trend + 0.02 * noise.next())
        }
        let found = ChangePointSearch(model: .linear).run(values).changePoints
        #expect(found.count == 1 && abs(found[0] - 600) <= 5)
    }

    @Test func gapsAreFilledAlongStraightLines() {
        let (values, filled) = SeriesGaps.filled([.nan, 1, .nan, .nan, 4, .infinity])
        #expect(values == [1, 1, 2, 3, 4, 4] && filled == 4)
        #expect(SeriesGaps.filled([.nan, .nan]).filled == 2)
    }

    @Test func tooShortASeriesHasNoChangePoint() {
        #expect(ChangePointSearch().run([]).changePoints.isEmpty)
        #expect(ChangePointSearch().run([1, 5]).changePoints.isEmpty)
        // Six points are too few to call a jump against the series' own spread; twenty are not.
        #expect(ChangePointSearch(model: .mean).run([0, 0, 0, 9, 9, 9]).changePoints.isEmpty)
        let steps: [Double] = Array(repeating: 0, count: 10) + Array(repeating: 9, count: 10)
        #expect(ChangePointSearch(model: .mean, minimumSegmentLength: 1).run(steps).changePoints == [10])
    }
}
