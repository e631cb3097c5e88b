/// A saved model state the trainer registered: where it is, at which step, and its metrics.
public struct CheckpointRecord: Sendable {
    public let id: Int64
    public let runID: Int64
    public let step: Int64
    public let path: String
    public let metrics: [MetricValue]
    public let time: Double
    /// The primary metric's value at this checkpoint, when known.
    public let score: Double?
}

/// The answer to registering a checkpoint: the best one so far by the run's primary metric.
public struct CheckpointOutcome: Sendable {
    public let checkpoint: CheckpointRecord
    public let best: CheckpointRecord?
    public let primaryMetric: String?
    public let direction: MetricDirection?
}
