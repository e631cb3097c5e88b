import Foundation
import Testing

@testable import RunclinicEngine

@Suite struct TrainingCurveRegimesTests {
    /// A decaying loss with a little noise, as a run logs it.
    static func decay(_ count: Int, seed: UInt64 = 3) -> [Double] {
        var noise = ChangePointSearchTests.Noise(state: seed)
        return (0..<count).map { 0.3 + 2.0 * exp(-Double($0) / 300) + 0.01 * noise.next() }
    }

    @Test func aBendingCurveIsOneRegimeWhereverTheSearchCutIt() {
        let values = Self.decay(2_000)
        let found = ChangePointSearch().run(values).changePoints
        #expect(!found.isEmpty)  // the line search cuts the bend...
        #expect(TrainingCurveRegimes.keep(found, in: values).isEmpty)  // ...which is no change of regime
    }

    @Test func aLevelJumpIsKeptAndASpikeIsNot() {
        var values = Self.decay(2_000)
        for index in 1_000..<2_000 { values[index] -= 0.2 }
        values[1_500] += 3
        let kept = TrainingCurveRegimes.keep(ChangePointSearch().run(values).changePoints, in: values)
        #expect(kept.count == 1 && abs(kept[0] - 1_000) <= 5)
    }

    @Test func theStartOfANonFiniteTailIsAChangePoint() {
        let values = Self.decay(500)
        #expect(TrainingCurveRegimes.keep([], in: values, nonFiniteTailStart: 420) == [420])
    }
}
