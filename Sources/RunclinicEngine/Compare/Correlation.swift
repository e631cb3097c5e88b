import Foundation

/// Pearson's and Spearman's correlation, each with the two-sided p-value of its t statistic
/// (t = r sqrt((n - 2) / (1 - r²)), n - 2 degrees of freedom; for Spearman an approximation
/// that holds from about ten pairs).
public enum Correlation {
    public static func pearson(_ x: [Double], _ y: [Double]) -> (r: Double, p: Double)? {
        guard x.count == y.count, x.count >= 3 else { return nil }
        let (mx, vx) = StudentT.meanAndVariance(x)
        let (my, vy) = StudentT.meanAndVariance(y)
        guard vx > 0, vy > 0 else { return nil }
        var covariance = 0.0
        for index in x.indices { covariance += (x[index] - mx) * (y[index] - my) }
        covariance /= Double(x.count - 1)
        let r = max(-1, min(1, covariance / (vx * vy).squareRoot()))
        return (r, pValue(r, count: x.count))
    }

    public static func spearman(_ x: [Double], _ y: [Double]) -> (r: Double, p: Double)? {
        guard let result = pearson(ranks(x), ranks(y)) else { return nil }
        return result
    }

    static func pValue(_ r: Double, count: Int) -> Double {
        let degrees = Double(count - 2)
        guard abs(r) < 1 else { return 0 }
        return StudentT.twoSidedP(r * (degrees / (1 - r * r)).squareRoot(), degrees: degrees)
    }

    /// Ranks from 1, ties sharing their mean rank.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for position in start...end { ranks[order[position]] = rank }
            start = end + 1
        }
        return ranks
    }
}
