/// Whether an anomaly the detectors raised is an incident worth explaining: a plateau where the
/// metric froze while still improving (not a run that converged as its schedule decayed the
/// rate), overfitting that costs the primary metric or comes from a memorised training set.
extension IncidentFinder {
    /// True when the metric stopped dead after reaching `best`: its evaluation-to-evaluation changes
    /// since are under a tenth of what they were over as many evaluations before (a metric that
    /// converged still moves by noise).
    static func froze(
        _ series: MetricSeries?, since best: Double?, until step: Int64, profile: MetricProfile, threshold: Double
    ) -> Bool {
        guard let series, let best else { return false }
        let values = zip(series.steps, series.values).filter { $0.0 <= step && $0.1.isFinite }.map(\.1)
        guard let bestIndex = values.firstIndex(where: { $0 == best }), bestIndex >= 2, values.count - bestIndex >= 3
        else { return false }
        let after = Array(values[bestIndex...])
        let before = Array(values[max(0, bestIndex - after.count)...bestIndex])
        func movement(_ part: [Double]) -> Double {
            TrailingWindow.median(zip(part.dropFirst(), part).map { abs($0 - $1) })
        }
        // ...and it stopped while it was still getting better (a run that converged, then had its
        // learning rate decayed as planned, was not).
        let gain = profile.worsening(from: best, to: before[0])
        return movement(after) <= 0.1 * movement(before) && gain >= 0.5 * profile.dropThreshold(threshold)
    }

    /// True when the training loss paired with a validation loss sits at a fiftieth of it or less at
    /// `step`: the model fits its training data far better than anything else (memorised), which
    /// makes a rising validation loss overfitting even while the score holds.
    static func memorised(
        _ metric: String, at step: Int64, series: [String: MetricSeries], profile: (String) -> MetricProfile
    ) -> Bool {
        let validation = profile(metric)
        guard validation.direction == .min, let values = series[metric],
            let index = values.steps.lastIndex(where: { $0 <= step }), values.values[index].isFinite,
            values.values[index] > 0
        else { return false }
        guard let training = PairedTrainingLoss(pairedWith: metric, in: series, profile: profile),
            let level = training.level(near: step, span: evaluationGap(values, at: step))
        else { return false }
        return level <= 0.02 * values.values[index]
    }

    /// True when the logged learning rate was lowered fivefold or more by `step` but is not zero: a
    /// run that stalls after its schedule decayed the rate has converged as planned (a rate cut
    /// to zero, or weights frozen at an unchanged rate, is a stall to explain).
    static func decayedOnPurpose(
        _ series: [String: MetricSeries], profile: (String) -> MetricProfile, until step: Int64
    ) -> Bool {
        for (name, values) in series where profile(name).role == .learningRate {
            let seen = zip(values.steps, values.values).filter { $0.0 <= step && $0.1.isFinite }.map(\.1)
            guard let latest = seen.last, let highest = seen.max() else { continue }
            if latest > 0, latest <= 0.2 * highest { return true }
        }
        return false
    }

    /// True when the metric is worse than its best by the drop threshold at `step`.
    static func worsened(_ series: MetricSeries?, by profile: MetricProfile?, until step: Int64, threshold: Double)
        -> Bool
    {
        guard let series, let profile, let direction = profile.direction else { return false }
        var best: Double?
        var latest: Double?
        for (at, value) in zip(series.steps, series.values) where at <= step && value.isFinite {
            if best == nil || direction.isBetter(value, than: best!) { best = value }
            latest = value
        }
        guard let best, let latest else { return false }
        return profile.worsening(from: best, to: latest) >= profile.dropThreshold(threshold)
    }
}
