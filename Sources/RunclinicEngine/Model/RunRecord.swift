import RunclinicJSON

/// A run as stored: identity, status, configuration and tags.
public struct RunRecord: Sendable, Equatable {
    public let id: Int64
    public let project: String
    public let name: String
    public var status: RunStatus
    public var config: JSONValue?
    public var tags: [String]
    public let startedAt: Double
    public var endedAt: Double?
    /// The summary an imported run's tracker kept (wandb's), as a JSON object.
    public var summary: JSONValue? = nil
}

/// A run with what it holds: metric keys, progress and counts.
public struct RunDetails: Sendable {
    public let run: RunRecord
    public let metricKeys: [String]
    public let lastStep: Int64?
    public let pointCount: Int
    public let batchCount: Int
    public let checkpointCount: Int
    public let bestCheckpoint: CheckpointRecord?
}

/// What `startRun` did: created a new run, or resumed one of the same name.
public struct RunStart: Sendable {
    public let run: RunRecord
    public let resumed: Bool
    /// The last step the run had logged before, so a resumed trainer knows where it stands.
    public let lastStep: Int64?
}
