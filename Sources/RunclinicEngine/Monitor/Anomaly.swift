/// What a detector found: the handbook's anomaly record.
public struct Anomaly: Sendable, Equatable {
    public var type: AnomalyType
    public var metric: String
    public var step: Int64
    public var value: Double
    public var baseline: Double?
    public var magnitude: Double?
    public var severity: AnomalySeverity
    public var message: String
    public var batch: Int64? = nil
    public var samples: [String]? = nil
    /// The live incident it belongs to (warning or worse, raised by the monitor as it happened):
    /// anomalies of one event share it, and so does the one action advised for it.
    public var incident: Int64? = nil

    public init(
        type: AnomalyType, metric: String, step: Int64, value: Double, baseline: Double?, magnitude: Double?,
        severity: AnomalySeverity, message: String, batch: Int64? = nil, samples: [String]? = nil
    ) {
        self.type = type
        self.metric = metric
        self.step = step
        self.value = value
        self.baseline = baseline
        self.magnitude = magnitude
        self.severity = severity
        self.message = message
        self.batch = batch
        self.samples = samples
    }

    public static func == (lhs: Anomaly, rhs: Anomaly) -> Bool {
        lhs.type == rhs.type && lhs.metric == rhs.metric && lhs.step == rhs.step && lhs.severity == rhs.severity
            && lhs.batch == rhs.batch && lhs.message == rhs.message
    }
}

public enum AnomalyType: String, Sendable, CaseIterable {
    case nonFinite = "non_finite"
    case threshold
    case suddenDrop = "sudden_drop"
    case outlier
    case spike
    case plateau
    case divergence
    case overfitting
    case problematicBatch = "problematic_batch"
}

public enum AnomalySeverity: String, Sendable, CaseIterable, Comparable {
    case info, warning, high, critical

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: AnomalySeverity, rhs: AnomalySeverity) -> Bool { lhs.rank < rhs.rank }
}
