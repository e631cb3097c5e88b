import Foundation

/// A value past a configured bound (`alert_thresholds`).
enum ThresholdDetector {
    static func check(
        _ value: Double, rule: MonitorConfiguration.ThresholdRule, profile: MetricProfile, step: Int64,
        dropThreshold: Double
    ) -> Anomaly? {
        var floor = rule.minimum
        var ceiling = rule.maximum
        if let bound = rule.bound {
            if profile.direction == .min { ceiling = bound } else { floor = bound }
        }
        let message: String
        let bound: Double
        let excess: Double
        if let floor, value < floor {
            bound = floor
            excess = floor - value
            message =
                "\(profile.name) = \(value.shortDescription) is below its threshold \(floor.shortDescription) at step \(step)"
        } else if let ceiling, value > ceiling {
            bound = ceiling
            excess = value - ceiling
            message =
                "\(profile.name) = \(value.shortDescription) is above its threshold \(ceiling.shortDescription) at step \(step)"
        } else {
            return nil
        }
        let relative = excess / max(abs(bound), 1e-12)
        let severity: AnomalySeverity =
            (excess >= 2 * dropThreshold && relative >= 2 * dropThreshold) ? .high : .warning
        return Anomaly(
            type: .threshold, metric: profile.name, step: step, value: value, baseline: bound, magnitude: excess,
            severity: severity, message: message)
    }
}

extension Double {
    /// Four significant digits, for messages.
    var shortDescription: String {
        guard isFinite else { return isNaN ? "NaN" : (self > 0 ? "Infinity" : "-Infinity") }
        if self == rounded() && abs(self) < 1e9 { return String(Int64(self)) }
        let magnitude = abs(self)
        if magnitude >= 1e-3 && magnitude < 1e6 {
            var text = printed("%.4g")
            if text.utf8.contains(UInt8(ascii: "e")) { text = String(self) }
            return text
        }
        return printed("%.3e")
    }
}
