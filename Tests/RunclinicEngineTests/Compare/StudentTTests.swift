import Foundation
import Testing

@testable import RunclinicEngine

@Suite struct StudentTTests {
    @Test func pValuesAndQuantilesMatchTheTables() {
        // Two-sided 5% critical values of Student's t (any statistics table).
        for (degrees, critical) in [(1.0, 12.706), (5.0, 2.571), (10.0, 2.228), (30.0, 2.042), (1_000.0, 1.962)] {
            #expect(abs(StudentT.twoSidedP(critical, degrees: degrees) - 0.05) < 5e-4, "df \(degrees)")
            #expect(abs(StudentT.quantile(0.975, degrees: degrees) - critical) < 2e-3, "df \(degrees)")
        }
        #expect(StudentT.twoSidedP(0, degrees: 4) == 1)
    }

    @Test func welchMatchesAWorkedExample() {
        // Wikipedia's "Welch's t-test", example 1: t = -2.46, df = 24.99, p = 0.021.
        let a = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4]
        let b = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]
        let test = StudentT.welch(a, b)!
        #expect(abs(test.degrees - 24.99) < 0.01)
        #expect(abs(test.t - -2.4553) < 1e-3)
        #expect(abs(test.p - 0.02109) < 5e-4)
        #expect(StudentT.welch([1], [2, 3]) == nil)
    }

    @Test func fisherExactTestMatchesAWorkedExample() {
        // The tea-tasting table [[3, 1], [1, 3]]: one-sided p = 17/70.
        #expect(abs(FisherExactTest.greater(3, 1, 1, 3) - 17.0 / 70.0) < 1e-9)
        #expect(abs(FisherExactTest.greater(0, 5, 5, 0) - 1) < 1e-9)
    }

    @Test func correlationsAndTheirPValues() {
        // Anscombe's first set: Pearson r = 0.816 (a textbook value); its t = 4.24 on 9 df, p = 0.0022.
        let x: [Double] = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5]
        let y = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68]
        let pearson = Correlation.pearson(x, y)!
        #expect(abs(pearson.r - 0.8164) < 1e-3 && abs(pearson.p - 0.00217) < 2e-4)
        #expect(Correlation.ranks([3, 1, 3, 2]) == [3.5, 1, 3.5, 2])
        #expect(Correlation.spearman([1, 2, 3, 4, 5], [2, 4, 8, 16, 32])!.r == 1)  // monotone, not linear
        #expect(Correlation.pearson([1, 1, 1], [1, 2, 3]) == nil)  // a constant has no correlation
    }
}
