import Foundation

/// The exact optimal segmentation of a series under a segment cost and a penalty per change point:
/// PELT (Killick, Fearnhead & Eckley 2012), which finds the same optimum as dynamic programming
/// over every split but drops split candidates that can never win again, so on series with
/// changes it runs in about linear time.
public struct ChangePointSearch: Sendable {
    /// How the penalty per change point is chosen.
    public enum Penalty: Sendable, Equatable {
        /// MBIC-like (Zhang & Siegmund 2007 for a mean): (parameters per segment + 2) x ln n, in
        /// the costs' units (twice the negative log-likelihood). A mean change: 3 ln n.
        case modifiedBIC
        /// BIC: (parameters per segment + 1) x ln n.
        case bic
        /// A fixed value, in the costs' units.
        case value(Double)
        /// The MBIC-like value times this factor (over 1: fewer change points).
        case scaled(Double)
    }

    public var model: SegmentModel
    public var penalty: Penalty
    /// The fewest points between two change points (at least the model's own minimum).
    public var minimumSegmentLength: Int
    /// The noise level the mean and linear models judge changes against.
    public var noise: NoiseEstimate

    public enum NoiseEstimate: String, Sendable {
        /// The residual deviation of the model fitted to the whole series, without any change
        /// point: a change must explain a large share of the series' own variation. Robust to
        /// autocorrelated noise and to curves that bend smoothly (the default).
        case wholeSeries = "whole_series"
        /// The median absolute first (mean) or second (linear) difference: the white-noise level,
        /// for series whose noise is independent from point to point; finds smaller changes.
        case differences
    }
    /// A fixed noise deviation (overrides `noise`).
    public var noiseDeviation: Double?
    /// Series longer than this are searched as the means of equal blocks, each change found then
    /// placed exactly within its blocks: PELT prunes little on a long series with few changes (the
    /// common training curve), so its cost grows with n². nil: always the exact search.
    public var exactLimit: Int? = 10_000

    public init(
        model: SegmentModel = .linear, penalty: Penalty = .modifiedBIC, minimumSegmentLength: Int = 2,
        noise: NoiseEstimate = .wholeSeries, noiseDeviation: Double? = nil
    ) {
        self.model = model
        self.penalty = penalty
        self.minimumSegmentLength = minimumSegmentLength
        self.noise = noise
        self.noiseDeviation = noiseDeviation
    }

    public struct Result: Sendable {
        /// Indices where a new segment starts (never 0), ascending.
        public let changePoints: [Int]
        /// The penalty used per change point, in the costs' units.
        public let penalty: Double
        /// The noise deviation the cost assumed, where it assumes one.
        public let noiseDeviation: Double?
        /// Total cost of the segmentation, penalties included.
        public let totalCost: Double
    }

    public func penaltyValue(for cost: any SegmentCost) -> Double {
        let logLength = log(Double(max(cost.count, 2)))
        switch penalty {
        case .modifiedBIC: return Double(cost.parametersPerSegment + 2) * logLength
        case .bic: return Double(cost.parametersPerSegment + 1) * logLength
        case .value(let value): return value
        case .scaled(let factor): return factor * Double(cost.parametersPerSegment + 2) * logLength
        }
    }

    /// Change points of `values`, which must all be finite (callers fill or drop gaps first).
    public func run(_ values: [Double]) -> Result {
        guard let limit = exactLimit, values.count > limit, model != .meanVariance else { return runExactly(values) }
        let block = (values.count + limit - 1) / limit
        var means: [Double] = []
        means.reserveCapacity(values.count / block + 1)
        for start in stride(from: 0, to: values.count, by: block) {
            let slice = values[start..<min(values.count, start + block)]
            means.append(slice.reduce(0, +) / Double(slice.count))
        }
        // The block means are judged as the raw series would be: against the raw noise level (a
        // mean of b points varies √b times less) and the raw series' penalty.
        let deviation = noiseDeviation ?? rawDeviation(values)
        var coarseSearch = self
        coarseSearch.exactLimit = nil
        coarseSearch.noiseDeviation = deviation / Double(block).squareRoot()
        coarseSearch.penalty = .value(penaltyValue(for: model.cost(for: values, variance: deviation * deviation)))
        let coarse = coarseSearch.runExactly(means)
        let placed = Self.refine(coarse.changePoints.map { $0 * block }, block: block, in: values, model: model)
        return Result(
            changePoints: placed, penalty: coarse.penalty, noiseDeviation: deviation, totalCost: coarse.totalCost)
    }

    /// The noise deviation the exact search would judge `values` against.
    func rawDeviation(_ values: [Double]) -> Double {
        switch (model, noise) {
        case (.linear, .differences): return NoiseScale.fromSecondDifferences(values)
        case (_, .differences): return NoiseScale.fromDifferences(values)
        case (.linear, .wholeSeries): return LinearTrendCost(values).variance.squareRoot()
        case (_, .wholeSeries): return NormalMeanCost(values).variance.squareRoot()
        }
    }

    /// Each coarse change point moved to the best single split of the raw values within two
    /// blocks either side of it (between its neighbours).
    static func refine(_ coarse: [Int], block: Int, in values: [Double], model: SegmentModel) -> [Int] {
        var refined: [Int] = []
        for (position, point) in coarse.enumerated() {
            let lower = max(position > 0 ? coarse[position - 1] + 1 : 1, point - 2 * block)
            let upper = min(
                position + 1 < coarse.count ? coarse[position + 1] - 1 : values.count - 1, point + 2 * block)
            guard upper > lower + 2 else {
                refined.append(point)
                continue
            }
            let window = Array(values[(lower - 1)...(upper)])
            let cost = model.cost(for: window)
            var best = point
            var bestCost = Double.infinity
            let shortest = max(1, cost.minimumSegmentLength)
            for split in (lower + shortest - 1)...(upper - shortest + 1)
            where split - (lower - 1) >= shortest && upper + 1 - split >= shortest {
                let total = cost.cost(0, split - (lower - 1)) + cost.cost(split - (lower - 1), window.count)
                if total < bestCost {
                    bestCost = total
                    best = split
                }
            }
            refined.append(best)
        }
        return refined
    }

    private func runExactly(_ values: [Double]) -> Result {
        var deviation = noiseDeviation
        if deviation == nil, noise == .differences {
            deviation = model == .linear ? NoiseScale.fromSecondDifferences(values) : NoiseScale.fromDifferences(values)
        }
        let variance = deviation.map { $0 * $0 }
        let result: Result
        // Each model's search is specialised for its cost (no dynamic dispatch per evaluation).
        switch model {
        case .mean:
            let cost = NormalMeanCost(values, variance: variance)
            deviation = cost.variance.squareRoot()
            result = run(cost)
        case .meanVariance:
            deviation = nil
            result = run(NormalMeanVarianceCost(values))
        case .linear:
            let cost = LinearTrendCost(values, variance: variance)
            deviation = cost.variance.squareRoot()
            result = run(cost)
        }
        return Result(
            changePoints: result.changePoints, penalty: result.penalty, noiseDeviation: deviation,
            totalCost: result.totalCost)
    }

    public func run<Cost: SegmentCost>(_ cost: Cost) -> Result {
        let count = cost.count
        let beta = penaltyValue(for: cost)
        let shortest = max(1, minimumSegmentLength, cost.minimumSegmentLength)
        guard count >= 2 * shortest else {
            return Result(
                changePoints: [], penalty: beta, noiseDeviation: nil, totalCost: count > 0 ? cost.cost(0, count) : 0)
        }
        // best[t]: the least cost of the first t points, penalties included; last[t]: where its
        // final segment starts.
        var best = [Double](repeating: .infinity, count: count + 1)
        var last = [Int](repeating: 0, count: count + 1)
        best[0] = -beta
        // Candidate starts and their totals for the current end, compacted in place when pruned.
        var candidates = [Int](repeating: 0, count: count + 1)
        var totals = [Double](repeating: 0, count: count + 1)
        var live = 1
        best.withUnsafeMutableBufferPointer { best in
            candidates.withUnsafeMutableBufferPointer { candidates in
                totals.withUnsafeMutableBufferPointer { totals in
                    for end in shortest...count {
                        // A split at `end - shortest` becomes possible once a segment fits before it.
                        let newest = end - shortest
                        if newest >= shortest {
                            candidates[live] = newest
                            live += 1
                        }
                        var bestTotal = Double.infinity
                        var bestStart = 0
                        for index in 0..<live {
                            let start = candidates[index]
                            let total = best[start] + cost.cost(start, end) + beta
                            totals[index] = total
                            if total < bestTotal {
                                bestTotal = total
                                bestStart = start
                            }
                        }
                        best[end] = bestTotal
                        last[end] = bestStart
                        // Pruning: a start whose cost so far already exceeds the optimum (before its
                        // own penalty) cannot be the best last split for any later end.
                        var kept = 0
                        for index in 0..<live where totals[index] - beta <= bestTotal {
                            candidates[kept] = candidates[index]
                            kept += 1
                        }
                        live = kept
                    }
                }
            }
        }
        var changePoints: [Int] = []
        var end = count
        while end > 0 {
            let start = last[end]
            if start > 0 { changePoints.append(start) }
            end = start
        }
        return Result(changePoints: changePoints.reversed(), penalty: beta, noiseDeviation: nil, totalCost: best[count])
    }
}
