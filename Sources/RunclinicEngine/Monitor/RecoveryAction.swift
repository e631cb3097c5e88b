/// What the trainer should do about what the monitor saw.
public struct RecoveryAction: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Restore the best checkpoint (and lower the learning rate by `lrFactor`).
        case rollback
        /// Multiply the learning rate by `lrFactor`.
        case reduceLR = "reduce_lr"
        /// Stop training: recovery is exhausted or impossible.
        case stop
        /// The drop sits in a few validation batches: look at (or filter out) their images. A
        /// learning-rate cut or a rollback cannot cure bad data.
        case inspectData = "inspect_data"
    }

    public var kind: Kind
    public var reason: String
    public var step: Int64
    /// The checkpoint to restore (rollback); nil when none was registered.
    public var checkpoint: CheckpointRecord?
    public var lrFactor: Double?
    /// Rollbacks advised so far in this run, this one included.
    public var rollbacks: Int?
    /// The anomaly that triggered it.
    public var trigger: AnomalyType
    /// The live incident it answers: one action per incident.
    public var incident: Int64? = nil
    /// For data advice: the validation batches that fell and the samples they held.
    public var batches: [Int64]? = nil
    public var samples: [String]? = nil

    public static func == (lhs: RecoveryAction, rhs: RecoveryAction) -> Bool {
        lhs.kind == rhs.kind && lhs.reason == rhs.reason && lhs.step == rhs.step
            && lhs.checkpoint?.id == rhs.checkpoint?.id
    }
}

/// The handbook's auto-recovery strategies.
public enum RecoveryStrategy: String, Sendable, CaseIterable {
    case rollbackOnSevereDrop = "rollback_on_severe_drop"
    case adjustLROnPlateau = "adjust_lr_on_plateau"
    case stopOnDivergence = "stop_on_divergence"
}
