/// One metric's history within a run, in logging order.
public struct MetricSeries: Sendable, Equatable {
    public var steps: [Int64] = []
    public var values: [Double] = []
    public var times: [Double] = []

    public init() {}

    public static func == (lhs: MetricSeries, rhs: MetricSeries) -> Bool {
        lhs.steps == rhs.steps && lhs.times == rhs.times
            && lhs.values.count == rhs.values.count
            && zip(lhs.values, rhs.values).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
    }
}

/// A metric name and its value, in the order the caller gave them.
public struct MetricValue: Sendable {
    public let name: String
    public let value: Double

    public init(_ name: String, _ value: Double) {
        self.name = name
        self.value = value
    }
}
