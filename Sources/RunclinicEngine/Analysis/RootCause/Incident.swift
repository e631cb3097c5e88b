/// Something in a run's history that needs explaining: a validation metric that dropped, a value
/// that became NaN, a loss that diverged, a growing train/validation gap, a plateau, or validation
/// data that changed mid-run.
public struct Incident: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case drop
        case nonFinite = "non_finite"
        case divergence, overfitting, plateau
        /// The validation data changed under the run (batches hold other samples from here on).
        case dataChange = "data_change"
    }

    public var kind: Kind
    public var metric: String
    /// The first step of the new regime (the first bad evaluation).
    public var step: Int64
    /// The value before and after (a drop's "0.89 to 0.74"; NaN after for a non-finite value).
    public var before: Double?
    public var after: Double?
    /// How much worse: absolute for scores, relative for losses (MetricProfile.worsening).
    public var magnitude: Double
    public var description: String
}
