/// One explanation of an incident, with how sure the evidence makes it and the evidence itself.
public struct RootCauseHypothesis: Sendable {
    /// What went wrong. `unexplained` is said when the evidence supports nothing: a cause is
    /// never invented.
    public enum Cause: String, Sendable, CaseIterable {
        case dataQuality = "data_quality"
        case dataChange = "data_change"
        case learningRate = "learning_rate"
        case divergence
        case nonFinite = "non_finite"
        case overfitting
        case plateau
        case recoveryAction = "recovery_action"
        case unexplained
    }

    public var cause: Cause
    /// 0-1: how strongly the evidence supports this cause (see RootCauseAnalyzer for the rules).
    public var confidence: Double
    public var evidence: [String]
    /// The validation batches behind a data cause, and their images.
    public var batches: [Int64]? = nil
    public var samples: [String]? = nil
    /// The audit issue behind a data-quality cause (e.g. `rotated`).
    public var defect: String? = nil
    /// For a learning-rate cause: the rate the run had before it rose (the one to go back to).
    public var learningRateBefore: Double? = nil
}
