/// What a metric is, for choosing its detectors: which way is better, and whether it is a
/// training signal, a validation score, or the learning rate.
public struct MetricProfile: Sendable, Equatable {
    public enum Role: Sendable { case training, validation, learningRate }

    public let name: String
    public let direction: MetricDirection?
    public let role: Role
    /// The name without its phase words ("val/loss" and "train/loss" share the stem ["loss"]), once:
    /// pairs a validation metric with its training counterpart on every validation value.
    let stem: [Substring]

    public init(name: String, configuration: MonitorConfiguration) {
        self.name = name
        direction = configuration.direction(of: name)
        let words = name.lowercased().split { !$0.isLetter && !$0.isNumber }
        if words.contains(where: { $0 == "lr" || $0 == "learning" }) {
            role = .learningRate
        } else if words.contains(where: { ["val", "valid", "validation", "eval", "test", "dev"].contains($0) }) {
            role = .validation
        } else {
            role = .training
        }
        stem = words.filter { !Self.phaseWords.contains($0) }
    }

    private static let phaseWords: Set<Substring> = [
        "val", "valid", "validation", "eval", "test", "dev", "train", "training",
    ]

    /// The worsening that counts as a drop: the configured threshold for scores (absolute), twice
    /// it for losses (relative), whose evaluation-to-evaluation noise is larger.
    public func dropThreshold(_ configured: Double) -> Double {
        direction == .min ? 2 * configured : configured
    }

    /// How much worse `value` is than `reference` (positive: worse). Scores (higher is better)
    /// compare absolutely, as the handbook's recall drop 0.89 → 0.74; losses relatively.
    public func worsening(from reference: Double, to value: Double) -> Double {
        guard let direction else { return 0 }
        switch direction {
        case .max:
            return reference - value
        case .min:
            let scale = Swift.max(abs(reference), 1e-12)
            return (value - reference) / scale
        }
    }
}
