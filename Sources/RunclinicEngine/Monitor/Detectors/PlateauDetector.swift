/// No improvement beyond `min_delta` (relative) for `plateau_patience` evaluations: the
/// ReduceLROnPlateau rule. After it fires, the count starts again (after the cooldown). A metric
/// whose best is at its bound (accuracy 1.0, an error of 0) cannot improve: that is no plateau.
struct PlateauDetector: Sendable {
    private(set) var best: Double?
    /// The range of values seen, to recognise scores on [0, 1] or [0, 100].
    private var lowest = Double.infinity
    private var highest = -Double.infinity
    /// The range of values since the best: nothing at all moving is a stalled run, not a slow one.
    private var sinceBestLow = Double.infinity
    private var sinceBestHigh = -Double.infinity
    private(set) var evaluationsSinceImprovement = 0
    private(set) var evaluationsSinceBest = 0
    private var cooldownLeft = 0

    mutating func observe(
        _ value: Double, profile: MetricProfile, step: Int64, patience: Int, minDelta: Double, cooldown: Int
    ) -> Anomaly? {
        guard value.isFinite, let direction = profile.direction else { return nil }
        lowest = min(lowest, value)
        highest = max(highest, value)
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
            sinceBestLow = .infinity
            sinceBestHigh = -.infinity
            return nil
        }
        evaluationsSinceBest += 1
        sinceBestLow = min(sinceBestLow, value)
        sinceBestHigh = max(sinceBestHigh, value)
        if cooldownLeft > 0 {
            cooldownLeft -= 1
            return nil
        }
        evaluationsSinceImprovement += 1
        guard evaluationsSinceImprovement >= patience, !isAtBound(best, direction: direction) else { return nil }
        evaluationsSinceImprovement = 0
        cooldownLeft = cooldown
        // Every evaluation since giving the very same value: the weights are not changing.
        let frozen = sinceBestHigh - sinceBestLow <= 1e-12 * max(1, abs(best))
        return Anomaly(
            type: .plateau, metric: profile.name, step: step, value: value, baseline: best,
            magnitude: Double(evaluationsSinceBest), severity: frozen ? .warning : .info,
            message: frozen
                ? "\(profile.name) has not changed at all for \(evaluationsSinceBest) evaluations (step \(step)): the model is not learning (a learning rate of 0, or frozen weights?)"
                : "\(profile.name) has not improved on \(best.shortDescription) for \(evaluationsSinceBest) evaluations (step \(step))"
        )
    }

    /// True when `best` is the best value the metric can take: 1 (or 100) for a score that has
    /// stayed within [0, 1] (or [0, 100]), 0 for a non-negative metric that falls.
    func isAtBound(_ best: Double, direction: MetricDirection) -> Bool {
        switch direction {
        case .max:
            return lowest >= 0
                && ((highest <= 1 && best >= 1 - 1e-9) || (highest <= 100 && highest > 1 && best >= 100 - 1e-7))
        case .min:
            return lowest >= 0 && best <= 1e-12
        }
    }
}
