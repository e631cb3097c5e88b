/// Keeps ongoing conditions from becoming alert storms: a condition is reported when it starts,
/// and again only when its severity rises or its magnitude grows by half; it ends when a value
/// no longer shows it. One tracker per metric, indexed by anomaly type (no hashing per point).
struct ConditionTracker: Sendable {
    private struct Condition: Sendable {
        var severity: AnomalySeverity
        var magnitude: Double
    }

    private var active = [Condition?](repeating: nil, count: AnomalyType.allCases.count)

    /// Whether the anomaly is news.
    mutating func shouldReport(_ anomaly: Anomaly) -> Bool {
        let slot = anomaly.type.index
        let magnitude = abs(anomaly.magnitude ?? 0)
        guard let condition = active[slot] else {
            active[slot] = Condition(severity: anomaly.severity, magnitude: magnitude)
            return true
        }
        if anomaly.severity > condition.severity || magnitude >= 1.5 * condition.magnitude && magnitude > 0 {
            active[slot] = Condition(
                severity: max(anomaly.severity, condition.severity), magnitude: max(magnitude, condition.magnitude))
            return true
        }
        return false
    }

    mutating func clear(_ type: AnomalyType) {
        if active[type.index] != nil { active[type.index] = nil }
    }
}

extension AnomalyType {
    /// Position in `allCases`, without hashing (it is asked for every value a monitor sees).
    var index: Int {
        switch self {
        case .nonFinite: 0
        case .threshold: 1
        case .suddenDrop: 2
        case .outlier: 3
        case .spike: 4
        case .plateau: 5
        case .divergence: 6
        case .overfitting: 7
        case .problematicBatch: 8
        }
    }
}
