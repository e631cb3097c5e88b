import Foundation

/// Normal noise whose mean and variance are both constant within a segment: length x log of the
/// segment's variance (its maximum-likelihood fit; constants per point dropped). The variance is
/// floored at a small share of the series' noise, so a run of equal values is not infinitely
/// cheap.
public struct NormalMeanVarianceCost: SegmentCost {
    let sums: PrefixSums
    let floor: Double
    public var count: Int { sums.sums.count - 1 }
    public var parametersPerSegment: Int { 2 }
    public var minimumSegmentLength: Int { 2 }

    public init(_ values: [Double]) {
        sums = PrefixSums(values)
        floor = 1e-3 * NoiseScale.variance(NoiseScale.fromDifferences(values), values: values)
    }

    public func cost(_ start: Int, _ end: Int) -> Double {
        let length = Double(end - start)
        return length * log(max(floor, sums.scatter(start, end) / length))
    }
}
