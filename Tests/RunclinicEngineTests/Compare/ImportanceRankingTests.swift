import Foundation
import Testing

@testable import RunclinicEngine

@Suite struct ImportanceRankingTests {
    /// Runs of a synthetic study: parameters drawn uniformly, the outcome a known function.
    static func study(_ outcome: ([Double]) -> Double, parameters: Int = 3, runs: Int = 300) -> (
        rows: [[Double]], targets: [Double]
    ) {
        var random = SplitMix(state: 42)
        let rows = (0..<runs).map { _ in (0..<parameters).map { _ in Double(random.next() % 10_000) / 10_000 } }
        return (rows, rows.map(outcome))
    }

    @Test func aPeakInTheMiddleOutranksASmallerSlopeAndNoiseParametersGetNothing() throws {
        // x0: a peak at 0.5 (no correlation at all), x1: a gentle slope, x2: irrelevant.
        let (rows, targets) = Self.study { x in -4 * (x[0] - 0.5) * (x[0] - 0.5) + 0.3 * x[1] }
        let ranking = try #require(ImportanceRanking.rank(rows: rows, targets: targets))
        #expect(ranking.importances.map(\.index) == [0, 1, 2])
        #expect(ranking.importances[0].share > 0.6 && ranking.importances[2].share < 0.02)
        #expect(abs(Correlation.spearman(rows.map { $0[0] }, targets)!.r) < 0.2)  // what correlation would have said
    }

    @Test func aPureInteractionIsLeftToInteractions() throws {
        // y = (x0 - 0.5)(x1 - 0.5): neither parameter has a main effect.
        let (rows, targets) = Self.study { x in (x[0] - 0.5) * (x[1] - 0.5) }
        let ranking = try #require(ImportanceRanking.rank(rows: rows, targets: targets))
        #expect(ranking.interactionShare > 0.6)
        #expect(ranking.importances.allSatisfy { $0.share < 0.2 })
    }
}
