/// Normal noise of one variance around a mean that is constant within a segment: the squared
/// deviations from the segment's mean, over the noise variance (by default the variance of the
/// whole series about its mean: what a segmentation has to explain).
public struct NormalMeanCost: SegmentCost {
    let sums: PrefixSums
    public let variance: Double
    public var count: Int { sums.sums.count - 1 }
    public var parametersPerSegment: Int { 1 }
    public var minimumSegmentLength: Int { 1 }

    public init(_ values: [Double], variance: Double? = nil) {
        sums = PrefixSums(values)
        let whole = values.count > 1 ? sums.scatter(0, values.count) / Double(values.count - 1) : 0
        self.variance = NoiseScale.variance((variance ?? whole).squareRoot(), values: values)
    }

    public func cost(_ start: Int, _ end: Int) -> Double {
        sums.scatter(start, end) / variance
    }
}
