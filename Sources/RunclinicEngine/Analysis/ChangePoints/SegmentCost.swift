/// The cost of fitting one model to a segment of a series: twice its negative log-likelihood, up
/// to terms that do not depend on how the series is cut, so that costs of segments add up and a
/// change point is worth making when it lowers the total by more than the penalty.
///
/// Every cost here has O(1) segment costs from prefix sums, and cutting a segment never raises its
/// cost (C(a, c) >= C(a, b) + C(b, c)), which lets PELT prune exactly.
public protocol SegmentCost: Sendable {
    /// The series length.
    var count: Int { get }
    /// Free parameters per segment (a mean: 1; a mean and a variance, or a line: 2).
    var parametersPerSegment: Int { get }
    /// The fewest points a segment needs for its model to be fitted.
    var minimumSegmentLength: Int { get }
    /// The cost of the points `start..<end`.
    func cost(_ start: Int, _ end: Int) -> Double
}

/// The segment models a change-point search can use.
public enum SegmentModel: String, Sendable, CaseIterable {
    /// Piecewise constant mean, noise of one variance (estimated from the series): level shifts.
    case mean
    /// Piecewise constant mean and variance: level shifts and changes in noise.
    case meanVariance = "mean_variance"
    /// Piecewise linear trend, noise of one variance: changes of level or slope, so a steadily
    /// falling curve is one segment rather than a staircase.
    case linear

    /// `variance`: the noise variance of the mean and linear models (estimated when nil).
    public func cost(for values: [Double], variance: Double? = nil) -> any SegmentCost {
        switch self {
        case .mean: NormalMeanCost(values, variance: variance)
        case .meanVariance: NormalMeanVarianceCost(values)
        case .linear: LinearTrendCost(values, variance: variance)
        }
    }
}
