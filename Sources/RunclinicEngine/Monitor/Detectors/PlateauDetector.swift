/// No improvement beyond `min_delta` (relative) for `plateau_patience` evaluations: the
/// ReduceLROnPlateau rule. After it fires, the count starts again (after the cooldown).
struct PlateauDetector: Sendable {
    private(set) var best: Double?
    private(set) var evaluationsSinceImprovement = 0
    private(set) var evaluationsSinceBest = 0
    private var cooldownLeft = 0

    mutating func observe(_ value: Double, profile: MetricProfile, step: Int64, patience: Int, minDelta: Double, cooldown: Int) -> Anomaly? {
        guard value.isFinite, let direction = profile.direction else { return nil }
        guard let best else {
            self.best = value
            return nil
        }
        let margin = minDelta * max(abs(best), 1e-12)
        let improved = direction == .max ? value > best + margin : value < best - margin
        if improved {
            self.best = value
            evaluationsSinceImprovement = 0
            evaluationsSinceBest = 0
            return nil
        }
        evaluationsSinceBest += 1
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            return nil
        }
        evaluationsSinceImprovement += 1
        guard evaluationsSinceImprovement >= patience else { return nil }
        evaluationsSinceImprovement = 0
        cooldownLeft = cooldown
        return Anomaly(type: .plateau, metric: profile.name, step: step, value: value, baseline: best,
                       magnitude: Double(evaluationsSinceBest), severity: .info,
                       message: "\(profile.name) has not improved on \(best.shortDescription) for \(evaluationsSinceBest) evaluations (step \(step))")
    }
}
