/// Normal noise of one variance around a straight line fitted to each segment: the residual sum of
/// squares of the least-squares line, over the noise variance (by default the residual variance
/// of one line fitted to the whole series: what a segmentation has to explain; a smoothly bending
/// curve then stays one or two segments instead of a staircase of short lines).
public struct LinearTrendCost: SegmentCost {
    let values: PrefixSums
    /// Running sums of t, t² and t·y with t the index centred and scaled to about [-1, 1].
    let times: [Double]
    let timeSquares: [Double]
    let products: [Double]
    public private(set) var variance: Double
    public var count: Int { times.count - 1 }
    public var parametersPerSegment: Int { 2 }
    public var minimumSegmentLength: Int { 3 }

    public init(_ series: [Double], variance: Double? = nil) {
        values = PrefixSums(series)
        let middle = Double(series.count) / 2
        let scale = max(1, Double(series.count) / 2)
        var times = [Double](repeating: 0, count: series.count + 1)
        var timeSquares = times
        var products = times
        var t = 0.0
        var tt = 0.0
        var ty = 0.0
        for (index, value) in series.enumerated() {
            let time = (Double(index) - middle) / scale
            t += time
            tt += time * time
            ty += time * (value - values.centre)
            times[index + 1] = t
            timeSquares[index + 1] = tt
            products[index + 1] = ty
        }
        self.times = times
        self.timeSquares = timeSquares
        self.products = products
        self.variance = 1
        let whole = series.count > 2 ? residualScatter(0, series.count) / Double(series.count - 2) : 0
        self.variance = NoiseScale.variance((variance ?? whole).squareRoot(), values: series)
    }

    public func cost(_ start: Int, _ end: Int) -> Double {
        residualScatter(start, end) / variance
    }

    /// The residual sum of squares of the least-squares line through `start..<end`.
    func residualScatter(_ start: Int, _ end: Int) -> Double {
        let length = Double(end - start)
        let t = times[end] - times[start]
        let y = values.sums[end] - values.sums[start]
        let timeScatter = timeSquares[end] - timeSquares[start] - t * t / length
        let product = products[end] - products[start] - t * y / length
        let scatter = values.scatter(start, end)
        guard timeScatter > 1e-18 else { return scatter }
        return max(0, scatter - product * product / timeScatter)
    }
}
