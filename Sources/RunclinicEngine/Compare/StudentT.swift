import Foundation

/// Student's t distribution and Welch's two-sample test (unequal variances), for saying whether
/// two groups of runs really differ.
public enum StudentT {
    /// P(|T| >= |t|) for T with `degrees` degrees of freedom.
    public static func twoSidedP(_ t: Double, degrees: Double) -> Double {
        guard t.isFinite, degrees > 0 else { return t.isNaN ? 1 : 0 }
        let x = degrees / (degrees + t * t)
        return min(1, max(0, regularizedBeta(x, degrees / 2, 0.5)))
    }

    /// The t quantile with P(T <= q) = probability, by bisection on the CDF.
    public static func quantile(_ probability: Double, degrees: Double) -> Double {
        var low = 0.0
        var high = 1_000.0
        let tail = 2 * (1 - probability)
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if twoSidedP(middle, degrees: degrees) > tail { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    /// Welch's t-test: t, its degrees of freedom (Welch-Satterthwaite) and the two-sided p-value;
    /// nil when a group has fewer than two values or neither varies.
    public static func welch(_ first: [Double], _ second: [Double]) -> (t: Double, degrees: Double, p: Double)? {
        guard first.count >= 2, second.count >= 2 else { return nil }
        let (m1, v1) = meanAndVariance(first)
        let (m2, v2) = meanAndVariance(second)
        let s1 = v1 / Double(first.count)
        let s2 = v2 / Double(second.count)
        guard s1 + s2 > 0 else { return m1 == m2 ? (0, 1, 1) : (.infinity, 1, 0) }
        let t = (m1 - m2) / (s1 + s2).squareRoot()
        let degrees = (s1 + s2) * (s1 + s2) / (s1 * s1 / Double(first.count - 1) + s2 * s2 / Double(second.count - 1))
        return (t, degrees, twoSidedP(t, degrees: degrees))
    }

    public static func meanAndVariance(_ values: [Double]) -> (mean: Double, variance: Double) {
        let mean = values.reduce(0, +) / Double(max(1, values.count))
        guard values.count > 1 else { return (mean, 0) }
        return (mean, values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1))
    }

    /// I_x(a, b), by the continued fraction (Numerical Recipes' betacf, modified Lentz).
    static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        guard x > 0 else { return 0 }
        guard x < 1 else { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let front = exp(logGammas + logPowers)
        if x < (a + 1) / (a + b + 2) { return front * continuedFraction(x, a, b) / a }
        return 1 - front * continuedFraction(1 - x, b, a) / b
    }

    static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...300 {
            let m = Double(m)
            var step = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + step * d
            if abs(d) < tiny { d = tiny }
            c = 1 + step / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            step = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + step * d
            if abs(d) < tiny { d = tiny }
            c = 1 + step / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < 1e-12 { break }
        }
        return result
    }
}
