/// A validation batch evaluated at one step: its metrics and which samples (image paths or ids) it held.
public struct BatchRecord: Sendable {
    public let runID: Int64
    public let step: Int64
    public let batch: Int64
    public let phase: String
    public let metrics: [MetricValue]
    public let samples: [String]
    public let time: Double
}
