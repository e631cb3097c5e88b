/// Robust estimates of a series' noise level that changes of level or trend do not inflate: the
/// median absolute value of its first (or second) differences, scaled to a normal deviation.
public enum NoiseScale {
    /// For a piecewise-constant series: differences of neighbours are noise, but for the jumps.
    public static func fromDifferences(_ values: [Double]) -> Double {
        guard values.count > 2 else { return 0 }
        let differences: [Double] = (1..<values.count).map { (index: Int) -> Double in values[index] - values[index - 1]
        }
        return robustDeviation(differences) / 2.0.squareRoot()
    }

    /// For a piecewise-linear series: second differences remove the slope as well.
    public static func fromSecondDifferences(_ values: [Double]) -> Double {
        guard values.count > 3 else { return fromDifferences(values) }
        var differences: [Double] = []
        differences.reserveCapacity(values.count - 2)
        for index in 2..<values.count {
            let curve: Double = values[index] - 2 * values[index - 1] + values[index - 2]
            differences.append(curve)
        }
        return robustDeviation(differences) / 6.0.squareRoot()
    }

    /// 1.4826 x the median absolute deviation about zero; when over half the values are zero
    /// (quantised or repeated values), the mean absolute value x 1.2533 instead.
    static func robustDeviation(_ values: [Double]) -> Double {
        let magnitudes = values.map(abs).sorted()
        guard !magnitudes.isEmpty else { return 0 }
        let median = magnitudes[magnitudes.count / 2]
        if median > 0 { return 1.4826 * median }
        return 1.2533 * magnitudes.reduce(0, +) / Double(magnitudes.count)
    }

    /// A variance that is never zero: a series without noise still needs a finite cost per point.
    static func variance(_ deviation: Double, values: [Double]) -> Double {
        let spread = values.isEmpty ? 0 : (values.max()! - values.min()!)
        return max(deviation * deviation, 1e-12 * max(1, spread * spread))
    }
}
