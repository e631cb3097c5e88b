/// Which change points of a training curve mark a change of regime. A piecewise-linear search cuts
/// every bending curve (a decaying loss, a warm-up, a cosine schedule) into lines, and an isolated
/// spike into a short segment of its own; on a training curve neither is news. What is: a level
/// that jumps (an LR step, a drop, a recovery), and the start of a non-finite tail.
///
/// A change point is kept when the curves fitted to each side of it (parabolas, or lines on short
/// sides), extrapolated to it, do not meet: a bend leaves both one-sided fits off the curve by
/// about the same amount, so they meet; a jump does not. The gap must be significant against
/// the noise (five standard errors of the difference of two extrapolated ends; the noise of the
/// series, or of the calmer side where both sides are noisier) and material against the curve's
/// own range. A short segment whose neighbours meet across it is a spike.
public enum TrainingCurveRegimes {
    /// Share of the curve's range (5th to 95th percentile) a jump must reach.
    static let materialShare = 0.03
    /// Standard errors a jump must reach.
    static let significance = 5.0

    /// `changePoints`: from a search over `values` (finite: gaps already filled);
    /// `nonFiniteTailStart`: where the series' trailing run of non-finite values begins (nil: none).
    public static func keep(_ changePoints: [Int], in values: [Double], nonFiniteTailStart: Int? = nil) -> [Int] {
        guard values.count >= 8 else { return changePoints }
        let end = nonFiniteTailStart ?? values.count
        let noise = NoiseScale.fromSecondDifferences(Array(values[..<end]))
        let material = max(materialShare * robustRange(values[..<end]), 1e-12)
        var candidates = changePoints.filter { $0 > 0 && $0 < end }
        candidates = withoutSpikes(candidates, values: values, end: end, noise: noise, material: material).kept
        var kept: [Int] = []
        for (index, point) in candidates.enumerated() {
            let previous = index > 0 ? candidates[index - 1] : 0
            let next = index + 1 < candidates.count ? candidates[index + 1] : end
            let width = min(point - previous, next - point, maxWindow(values.count))
            // Too few points on a side to tell a jump from the curve's own bend (the first
            // evaluations of a fast-learning run, the last steps of a series): not a regime.
            guard width >= minimumWidth(values.count) else { continue }
            if isJump(
                left: (point - width)..<point, right: point..<(point + width), meetingAt: Double(point) - 0.5,
                values: values,
                noise: noise, material: material)
            {
                kept.append(point)
            }
        }
        if let tail = nonFiniteTailStart, tail > 0, tail < values.count { kept.append(tail) }
        return kept
    }

    /// Any series' change points with its isolated spikes taken out: a short excursion whose two
    /// sides meet across it is an outlier, not two changes of regime. `spikes` are the index
    /// ranges of the excursions taken out. Gaps must be filled already.
    public static func separatingSpikes(_ changePoints: [Int], in values: [Double]) -> (
        changePoints: [Int], spikes: [Range<Int>]
    ) {
        guard values.count >= 8 else { return (changePoints, []) }
        let noise = NoiseScale.fromSecondDifferences(values)
        let material = max(materialShare * robustRange(values[...]), 1e-12)
        let (kept, spikes) = withoutSpikes(
            changePoints, values: values, end: values.count, noise: noise, material: material)
        return (kept, spikes)
    }

    /// The spread between the 5th and 95th percentiles.
    static func robustRange(_ values: ArraySlice<Double>) -> Double {
        let sorted = values.sorted()
        return sorted[Int(0.95 * Double(sorted.count - 1))] - sorted[Int(0.05 * Double(sorted.count - 1))]
    }

    /// The one-sided windows reach at most this far: a jump is judged by what is near it.
    static func maxWindow(_ count: Int) -> Int { max(8, count / 10) }

    /// The fewest points each side needs.
    static func minimumWidth(_ count: Int) -> Int { count >= 40 ? 5 : 3 }

    /// Drops pairs of change points around a short excursion whose two sides meet across it; the
    /// excursions dropped are `spikes`.
    static func withoutSpikes(_ points: [Int], values: [Double], end: Int, noise: Double, material: Double) -> (
        kept: [Int], spikes: [Range<Int>]
    ) {
        var result = points
        var spikes: [Range<Int>] = []
        var index = 0
        while index + 1 < result.count {
            let start = result[index]
            let stop = result[index + 1]
            let length = stop - start
            let previous = index > 0 ? result[index - 1] : 0
            let next = index + 2 < result.count ? result[index + 2] : end
            let width = min(start - previous, next - stop, maxWindow(values.count))
            let short = length <= max(5, values.count / 50)
            if short, width >= 3,
                !isJump(
                    left: (start - width)..<start, right: stop..<(stop + width),
                    meetingAt: Double(start + stop - 1) / 2,
                    values: values, noise: noise, material: material)
            {
                spikes.append(start..<stop)
                result.removeSubrange(index...(index + 1))
                continue
            }
            index += 1
        }
        return (result, spikes)
    }

    /// True when lines fitted to `left` and `right`, extrapolated to `position` between them,
    /// miss each other by a significant and material gap.
    static func isJump(
        left: Range<Int>, right: Range<Int>, meetingAt position: Double, values: [Double], noise: Double,
        material: Double
    ) -> Bool {
        let leftEnd = extrapolate(values, left, to: position)
        let rightStart = extrapolate(values, right, to: position)
        let gap = abs(rightStart - leftEnd)
        // Judged against the calmer side's own noise when both sides are noisier than the series
        // (a jump within an erratic stretch, after a blow-up, is not a new regime; the blow-up is).
        let local = min(
            NoiseScale.fromSecondDifferences(Array(values[left])),
            NoiseScale.fromSecondDifferences(Array(values[right])))
        // The variance of a fitted end, in noise variances: 4/n for a line, 9/n for a parabola.
        let endVariance = { (count: Int) in (count >= 8 ? 9.0 : 4.0) / Double(count) }
        let standardError = max(noise, local) * (endVariance(left.count) + endVariance(right.count)).squareRoot()
        return gap >= material && gap >= significance * standardError
    }

    /// The least-squares curve through `values[range]` (a parabola from 8 points, else a line),
    /// evaluated at `position`: a parabola follows a decaying curve's bend up to the boundary, so
    /// the two sides of a smooth stretch meet even where it bends fast.
    static func extrapolate(_ values: [Double], _ range: Range<Int>, to position: Double) -> Double {
        guard range.count >= 8 else { return extrapolateLine(values, range, to: position) }
        // Least squares on 1, t, t² with t centred and scaled, by the normal equations.
        let middle = Double(range.lowerBound + range.upperBound - 1) / 2
        let scale = max(1, Double(range.count) / 2)
        var sums = [Double](repeating: 0, count: 5)
        var moments = [Double](repeating: 0, count: 3)
        for index in range {
            let t = (Double(index) - middle) / scale
            var power = 1.0
            for degree in 0..<5 {
                sums[degree] += power
                if degree < 3 { moments[degree] += power * values[index] }
                power *= t
            }
        }
        let matrix = [[sums[0], sums[1], sums[2]], [sums[1], sums[2], sums[3]], [sums[2], sums[3], sums[4]]]
        guard let coefficients = solve3(matrix, moments) else { return extrapolateLine(values, range, to: position) }
        let t = (position - middle) / scale
        return coefficients[0] + coefficients[1] * t + coefficients[2] * t * t
    }

    /// Cramer's rule for a 3x3 system (nil when singular).
    static func solve3(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        func determinant(_ m: [[Double]]) -> Double {
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        }
        let d = determinant(a)
        guard abs(d) > 1e-12 else { return nil }
        return (0..<3).map { column in
            var replaced = a
            for row in 0..<3 { replaced[row][column] = b[row] }
            return determinant(replaced) / d
        }
    }

    /// The least-squares line through `values[range]`, evaluated at `position`.
    static func extrapolateLine(_ values: [Double], _ range: Range<Int>, to position: Double) -> Double {
        let count = Double(range.count)
        let meanIndex = Double(range.lowerBound + range.upperBound - 1) / 2
        var meanValue = 0.0
        for index in range { meanValue += values[index] }
        meanValue /= count
        var product = 0.0
        var spread = 0.0
        for index in range {
            let t = Double(index) - meanIndex
            product += t * (values[index] - meanValue)
            spread += t * t
        }
        let slope = spread > 0 ? product / spread : 0
        return meanValue + slope * (position - meanIndex)
    }
}
