/// Which change points of a training curve mark a change of regime. A piecewise-linear search cuts
/// every bending curve (a decaying loss, a warm-up, a cosine schedule) into lines, and an isolated
/// spike into a short segment of its own; on a training curve neither is news. What is: a level
/// that jumps (an LR step, a drop, a recovery), and the start of a non-finite tail.
///
/// A change point is kept when the lines fitted to each side of it, extrapolated to it, do not
/// meet: a bend leaves both one-sided fits off the curve by the same amount (for a quadratic,
/// w²/6 of the curvature each), so they meet; a jump does not. The gap must be significant against
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
        let sorted = values[..<end].sorted()
        let range = sorted[Int(0.95 * Double(sorted.count - 1))] - sorted[Int(0.05 * Double(sorted.count - 1))]
        let material = max(materialShare * range, 1e-12)
        var candidates = changePoints.filter { $0 > 0 && $0 < end }
        candidates = withoutSpikes(candidates, values: values, end: end, noise: noise, material: material)
        var kept: [Int] = []
        for (index, point) in candidates.enumerated() {
            let previous = index > 0 ? candidates[index - 1] : 0
            let next = index + 1 < candidates.count ? candidates[index + 1] : end
            let width = min(point - previous, next - point, maxWindow(values.count))
            guard width >= 3 else { kept.append(point); continue }
            if isJump(left: (point - width)..<point, right: point..<(point + width), meetingAt: Double(point) - 0.5, values: values,
                      noise: noise, material: material) {
                kept.append(point)
            }
        }
        if let tail = nonFiniteTailStart, tail > 0, tail < values.count { kept.append(tail) }
        return kept
    }

    /// The one-sided windows reach at most this far: a jump is judged by what is near it.
    static func maxWindow(_ count: Int) -> Int { max(8, count / 10) }

    /// Drops pairs of change points around a short excursion whose two sides meet across it.
    static func withoutSpikes(_ points: [Int], values: [Double], end: Int, noise: Double, material: Double) -> [Int] {
        var result = points
        var index = 0
        while index + 1 < result.count {
            let start = result[index], stop = result[index + 1]
            let length = stop - start
            let previous = index > 0 ? result[index - 1] : 0
            let next = index + 2 < result.count ? result[index + 2] : end
            let width = min(start - previous, next - stop, maxWindow(values.count))
            let short = length <= max(5, values.count / 50)
            if short, width >= 3,
               !isJump(left: (start - width)..<start, right: stop..<(stop + width), meetingAt: Double(start + stop - 1) / 2,
                       values: values, noise: noise, material: material) {
                result.removeSubrange(index...(index + 1))
                continue
            }
            index += 1
        }
        return result
    }

    /// True when lines fitted to `left` and `right`, extrapolated to `position` between them,
    /// miss each other by a significant and material gap.
    static func isJump(left: Range<Int>, right: Range<Int>, meetingAt position: Double, values: [Double], noise: Double,
                       material: Double) -> Bool {
        let leftEnd = extrapolate(values, left, to: position)
        let rightStart = extrapolate(values, right, to: position)
        let gap = abs(rightStart - leftEnd)
        // Judged against the calmer side's own noise when both sides are noisier than the series
        // (a jump within an erratic stretch, after a blow-up, is not a new regime; the blow-up is).
        let local = min(NoiseScale.fromSecondDifferences(Array(values[left])), NoiseScale.fromSecondDifferences(Array(values[right])))
        let standardError = max(noise, local) * (4.0 / Double(left.count) + 4.0 / Double(right.count)).squareRoot()
        return gap >= material && gap >= significance * standardError
    }

    /// The least-squares line through `values[range]`, evaluated at `position`.
    static func extrapolate(_ values: [Double], _ range: Range<Int>, to position: Double) -> Double {
        let count = Double(range.count)
        let meanIndex = Double(range.lowerBound + range.upperBound - 1) / 2
        var meanValue = 0.0
        for index in range { meanValue += values[index] }
        meanValue /= count
        var product = 0.0, spread = 0.0
        for index in range {
            let t = Double(index) - meanIndex
            product += t * (values[index] - meanValue)
            spread += t * t
        }
        let slope = spread > 0 ? product / spread : 0
        return meanValue + slope * (position - meanIndex)
    }
}
