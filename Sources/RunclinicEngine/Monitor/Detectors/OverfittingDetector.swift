/// Validation loss rising while the training loss keeps falling: the train/val gap grows; or
/// stalled while the training loss sits at a fiftieth of it (a memorised training set).
struct OverfittingDetector: Sendable {
    private var best: Double?
    private var bestStep: Int64 = 0
    private var trainingAtBest: Double?
    private var evaluationsSinceBest = 0

    /// `training` is the paired training loss's moving average now.
    mutating func observe(
        _ value: Double, training: Double?, profile: MetricProfile, step: Int64, patience: Int,
        threshold: Double
    ) -> Anomaly? {
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
        guard trainingFall >= 0.02 else { return nil }
        // A model that fits its training data fifty times better than the validation data has
        // memorised it: a validation loss that stopped improving then is overfitting, however
        // slowly it creeps up.
        if rise < threshold, training > 0, training <= 0.02 * value, evaluationsSinceBest >= max(3, patience) {
            return Anomaly(
                type: .overfitting, metric: profile.name, step: step, value: value, baseline: best, magnitude: rise,
                severity: .warning,
                message:
                    "\(profile.name) has not improved on its best \(best.shortDescription) (step \(bestStep)) for \(evaluationsSinceBest) evaluations while the training loss fell to \(training.shortDescription), 1/\(Int((value / training).rounded())) of it: the model memorised its training data (overfitting)"
            )
        }
        guard rise >= threshold else { return nil }
        return Anomaly(
            type: .overfitting, metric: profile.name, step: step, value: value, baseline: best, magnitude: rise,
            severity: .warning,
            message:
                "\(profile.name) rose \((rise * 100).shortDescription)% above its best \(best.shortDescription) (step \(bestStep)) over \(evaluationsSinceBest) evaluations while the training loss fell \((trainingFall * 100).shortDescription)%: overfitting"
        )
    }
}
