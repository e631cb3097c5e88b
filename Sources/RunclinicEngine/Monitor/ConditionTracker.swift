/// Keeps ongoing conditions from becoming alert storms: a condition is reported when it starts,
/// and again only when its severity rises or its magnitude grows by half; it ends when a value
/// no longer shows it.
struct ConditionTracker: Sendable {
    private struct Condition: Sendable {
        var severity: AnomalySeverity
        var magnitude: Double
    }

    private var active: [String: Condition] = [:]

    static func key(_ type: AnomalyType, metric: String, batch: Int64? = nil) -> String {
        "\(type.rawValue)|\(metric)|\(batch.map(String.init) ?? "")"
    }

    /// Whether the anomaly is news.
    mutating func shouldReport(_ anomaly: Anomaly) -> Bool {
        let key = Self.key(anomaly.type, metric: anomaly.metric, batch: anomaly.batch)
        let magnitude = abs(anomaly.magnitude ?? 0)
        guard let condition = active[key] else {
            active[key] = Condition(severity: anomaly.severity, magnitude: magnitude)
            return true
        }
        if anomaly.severity > condition.severity || magnitude >= 1.5 * condition.magnitude && magnitude > 0 {
            active[key] = Condition(severity: max(anomaly.severity, condition.severity), magnitude: max(magnitude, condition.magnitude))
            return true
        }
        return false
    }

    mutating func clear(_ type: AnomalyType, metric: String, batch: Int64? = nil) {
        active[Self.key(type, metric: metric, batch: batch)] = nil
    }
}
