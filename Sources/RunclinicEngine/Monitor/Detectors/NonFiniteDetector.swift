/// NaN or ±Infinity: always critical (the run is broken from here on).
enum NonFiniteDetector {
    static func check(_ value: Double, profile: MetricProfile, step: Int64) -> Anomaly? {
        guard !value.isFinite else { return nil }
        let what = value.isNaN ? "NaN" : (value > 0 ? "+Infinity" : "-Infinity")
        return Anomaly(
            type: .nonFinite, metric: profile.name, step: step, value: value, baseline: nil, magnitude: nil,
            severity: .critical, message: "\(profile.name) is \(what) at step \(step)")
    }
}
