import Foundation

/// Fisher's exact test on a 2x2 table, one-sided: the probability, with the margins fixed, of a
/// table at least as extreme as the one seen in the direction of `a` being large.
///
///              defective   sound
///     group 1      a          b
///     group 2      c          d
public enum FisherExactTest {
    public static func greater(_ a: Int, _ b: Int, _ c: Int, _ d: Int) -> Double {
        let row = a + b
        let column = a + c
        let total = a + b + c + d
        guard total > 0 else { return 1 }
        let highest = min(row, column)
        var p = 0.0
        for x in a...max(a, highest) {
            p += exp(logHypergeometric(x, row: row, column: column, total: total))
        }
        return min(1, p)
    }

    /// log P(X = x) for the hypergeometric distribution of the table's top-left cell.
    static func logHypergeometric(_ x: Int, row: Int, column: Int, total: Int) -> Double {
        logChoose(column, x) + logChoose(total - column, row - x) - logChoose(total, row)
    }

    static func logChoose(_ n: Int, _ k: Int) -> Double {
        guard k >= 0, k <= n else { return -.infinity }
        return lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }
}
