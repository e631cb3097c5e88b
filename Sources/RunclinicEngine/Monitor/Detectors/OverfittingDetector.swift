/// Validation loss rising while the training loss keeps falling: the train/val gap grows.
struct OverfittingDetector: Sendable {
    private var best: Double?
    private var bestStep: Int64 = 0
    private var trainingAtBest: Double?
    private var evaluationsSinceBest = 0

    /// `training` is the paired training loss's moving average now.
    mutating func observe(_ value: Double, training: Double?, profile: MetricProfile, step: Int64, patience: Int,
                          threshold: Double) -> Anomaly? {
        guard value.isFinite, profile.direction == .min, profile.role == .validation else { return nil }
        guard let best, value >= best else {
            self.best = value
            bestStep = step
            trainingAtBest = training
            evaluationsSinceBest = 0
            return nil
        }
        evaluationsSinceBest += 1
        guard let training, let trainingAtBest, evaluationsSinceBest >= max(2, patience / 2) else { return nil }
        let rise = profile.worsening(from: best, to: value)
        let trainingFall = (trainingAtBest - training) / max(abs(trainingAtBest), 1e-12)
        guard rise >= threshold, trainingFall >= 0.02 else { return nil }
        return Anomaly(type: .overfitting, metric: profile.name, step: step, value: value, baseline: best, magnitude: rise,
                       severity: .warning,
                       message: "\(profile.name) rose \((rise * 100).shortDescription)% above its best \(best.shortDescription) (step \(bestStep)) over \(evaluationsSinceBest) evaluations while the training loss fell \((trainingFall * 100).shortDescription)%: overfitting")
    }
}
