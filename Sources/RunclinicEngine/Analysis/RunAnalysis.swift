/// Everything `analyze` found in one run: how each metric did, anomalies and change points over
/// the whole history, the incidents that need explaining and, for each, ranked root causes.
public struct RunAnalysis: Sendable {
    public struct MetricSummary: Sendable {
        public let name: String
        public let role: MetricProfile.Role
        public let direction: MetricDirection?
        public let points: Int
        public let best: Double?
        public let bestStep: Int64?
        public let final: Double?
        public let finalStep: Int64?
        /// How much worse the final value is than the best (MetricProfile.worsening; 0 when no
        /// direction is known).
        public let dropFromBest: Double?
    }

    public struct ChangePoint: Sendable {
        public let metric: String
        /// The validation batch whose own series changed (nil: the run-level metric).
        public var batch: Int64? = nil
        /// The first step of the new segment.
        public let step: Int64
        /// Means of up to five values before and from the change.
        public let before: Double
        public let after: Double
    }

    public struct Explanation: Sendable {
        public let incident: Incident
        /// Ranked: the most likely cause first.
        public let hypotheses: [RootCauseHypothesis]
    }

    public struct DataInsights: Sendable {
        /// Distinct images the run's validation batches held.
        public let totalImages: Int
        /// Of those, how many an audit covered (before or during this analysis).
        public let auditedImages: Int
        /// Audited images with a finding, and the count per issue.
        public let suspectedBadImages: [String]
        public let defects: [(issue: ImageIssue, count: Int)]
        /// Why the images could not be audited on the fly (the image library is missing), if so.
        public var auditUnavailable: String? = nil
    }

    /// An audited image with a finding, with its stored 48x48 grey thumbnail (for the report).
    public struct FlaggedImage: Sendable {
        public let path: String
        /// Where the image was found on disk (the path as logged, resolved under the data folder).
        public let file: String
        public let issues: [ImageIssue]
        public let thumbnail: [UInt8]?
    }

    public let run: RunRecord
    public let primaryMetric: String?
    /// The series and batches analysed (the reports draw them).
    public let series: [String: MetricSeries]
    let batchesByStep: [Int64: [BatchRecord]]
    /// The images behind the top data-quality cause first, then other flagged images (at most 12).
    public let worstImages: [FlaggedImage]
    public let metrics: [MetricSummary]
    public let anomalies: [Anomaly]
    public let changePoints: [ChangePoint]
    public let explanations: [Explanation]
    public let dataInsights: DataInsights
    public let actions: [RecoveryActionRecord]
    /// Checkpoints with the primary metric's value (the best first), for "resume from".
    public let checkpoints: [CheckpointRecord]
    /// The points of attempts a rollback abandoned, by metric (drawn apart, faded, in the charts).
    public var superseded: [String: MetricSeries] = [:]

    /// The incident that matters most, with its causes: a non-finite value (the run is lost), then
    /// divergence, then the largest drop of the primary metric, then the other incidents in the
    /// order found. The key finding and the first recommendation are built from it.
    public var primary: Explanation? {
        explanations.enumerated().min { first, second in
            let a = Self.importance(first.element.incident, primaryMetric: primaryMetric)
            let b = Self.importance(second.element.incident, primaryMetric: primaryMetric)
            return a != b ? a < b : first.offset < second.offset
        }?.element
    }

    /// Explanations in the order a reader should meet them: the primary one first.
    public var rankedExplanations: [Explanation] {
        guard let primary else { return explanations }
        return [primary] + explanations.filter { $0.incident != primary.incident }
    }

    /// Lower is more important (see `primary`).
    static func importance(_ incident: Incident, primaryMetric: String?) -> Double {
        switch incident.kind {
        case .nonFinite: return 0
        case .divergence: return 1
        case .drop where incident.metric == primaryMetric: return 2 - min(0.99, incident.magnitude)
        case .drop: return 3 - min(0.99, incident.magnitude)
        case .dataChange: return 3.5
        case .overfitting: return 4
        case .plateau: return 5
        }
    }

    /// The one sentence a user reads first.
    public var keyFinding: String {
        guard let first = primary else { return "No anomaly needs explaining in run \(run.name)." }
        let cause = first.hypotheses.first
        var sentence = first.incident.description
        if let cause, cause.cause != .unexplained {
            sentence += " Primary cause: \(cause.evidence.first ?? cause.cause.rawValue)"
        } else if let why = cause?.evidence.first, cause?.batches != nil {
            sentence += " No cause is supported by the evidence: \(why)."
        } else {
            sentence += " No cause found in the logged evidence."
        }
        if !sentence.hasSuffix(".") { sentence += "." }
        return sentence
    }
}

/// A recovery action the monitor advised, as stored.
public struct RecoveryActionRecord: Sendable {
    public let step: Int64
    public let kind: String
    public let reason: String
}
