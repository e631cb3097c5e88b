import Foundation

/// The incidents of a run, most serious first: validation drops (change points whose new level is
/// worse by the drop threshold, and the monitor's sudden drops), then the first non-finite value,
/// divergence, overfitting and plateau of each metric.
enum IncidentFinder {
    /// `primary`: the metric the user judges the run by; its drops come first.
    static func incidents(
        series: [String: MetricSeries], changePoints: [RunAnalysis.ChangePoint], anomalies: [Anomaly],
        profile: (String) -> MetricProfile, dropThreshold: Double, primary: String?,
        batchesByStep: [Int64: [BatchRecord]] = [:]
    ) -> [Incident] {
        var drops: [Incident] = []
        for point in changePoints {
            let metricProfile = profile(point.metric)
            guard metricProfile.role == .validation, metricProfile.direction != nil else { continue }
            let worsening = metricProfile.worsening(from: point.before, to: point.after)
            guard worsening >= metricProfile.dropThreshold(dropThreshold) else { continue }
            drops.append(
                drop(
                    point.metric, step: point.step, before: point.before, after: point.after, magnitude: worsening,
                    direction: metricProfile.direction))
        }
        for anomaly in anomalies where anomaly.type == .suddenDrop && anomaly.batch == nil {
            // The same drop seen as a change point nearby is kept once.
            let nearby = drops.contains {
                $0.metric == anomaly.metric
                    && abs($0.step - anomaly.step) <= Self.evaluationGap(series[anomaly.metric], at: anomaly.step)
            }
            let continued = drops.contains {
                Self.neverRecovered(
                    from: $0, until: anomaly.step, series: series[anomaly.metric], profile: profile(anomaly.metric))
            }
            guard !nearby, !continued, let baseline = anomaly.baseline,
                Self.persists(anomaly, series: series[anomaly.metric], profile: profile(anomaly.metric))
            else { continue }
            drops.append(
                drop(
                    anomaly.metric, step: anomaly.step, before: baseline, after: anomaly.value,
                    magnitude: profile(anomaly.metric).worsening(from: baseline, to: anomaly.value),
                    direction: profile(anomaly.metric).direction))
        }
        // Batches that fell while the others held: a drop of the aggregate too small to stand out
        // of its curve, but the batches show it (the monitor's problematic-batch rule).
        var fallen: [String: [Int64: [Int64]]] = [:]
        for anomaly in anomalies where anomaly.type == .problematicBatch {
            if let batch = anomaly.batch {
                fallen[anomaly.metric, default: [:]][anomaly.step, default: []].append(batch)
            }
        }
        for (metric, byStep) in fallen {
            for (step, batches) in byStep.sorted(by: { $0.key < $1.key }) {
                let gap = Self.evaluationGap(series[metric], at: step)
                guard !drops.contains(where: { $0.metric == metric && abs($0.step - step) <= gap }),
                    let values = series[metric], let index = values.steps.firstIndex(of: step), index > 0
                else { continue }
                let before = values.values[index - 1]
                let after = values.values[index]
                let worsening = profile(metric).worsening(from: before, to: after)
                // The whole set must feel it: one batch scoring worse while the set holds is noise.
                guard worsening >= 0.6 * profile(metric).dropThreshold(dropThreshold) else { continue }
                drops.append(
                    Incident(
                        kind: .drop, metric: metric, step: step, before: before, after: after, magnitude: worsening,
                        description:
                            "\(metric) of validation batches \(RootCauseAnalyzer.ranges(batches.sorted())) fell at step \(step) (the whole set from \(display(before)) to \(display(after)))."
                    ))
            }
        }
        // The primary metric's drops first; then the largest against each metric's own threshold.
        var scaled: [String: Double] = [:]
        for incident in drops { scaled[incident.metric] = profile(incident.metric).dropThreshold(dropThreshold) }
        drops.sort { first, second in
            let firstPrimary = first.metric == primary
            let secondPrimary = second.metric == primary
            if firstPrimary != secondPrimary { return firstPrimary }
            return first.magnitude / scaled[first.metric, default: 1] > second.magnitude
                / scaled[second.metric, default: 1]
        }

        var others: [Incident] = []
        let kinds: [(AnomalyType, Incident.Kind)] = [
            (.nonFinite, .nonFinite), (.divergence, .divergence), (.overfitting, .overfitting), (.plateau, .plateau),
        ]
        for (type, kind) in kinds {
            var seen: Set<String> = []
            for anomaly in anomalies.sorted(by: { $0.step < $1.step })
            where anomaly.type == type && anomaly.batch == nil {
                // A metric that stopped improving after a drop it never recovered from: the drop is the story.
                if type == .plateau,
                    drops.contains(where: {
                        Self.neverRecovered(
                            from: $0, until: anomaly.step + 1, series: series[anomaly.metric],
                            profile: profile(anomaly.metric))
                    })
                {
                    continue
                }
                guard !seen.contains(anomaly.metric) else { continue }
                switch type {
                case .plateau:
                    // A converged run keeps moving by noise; a stalled one (frozen weights, a zero
                    // learning rate) stops dead.
                    guard
                        Self.froze(
                            series[anomaly.metric], since: anomaly.baseline, until: anomaly.step,
                            profile: profile(anomaly.metric),
                            threshold: dropThreshold),
                        !Self.decayedOnPurpose(series, profile: profile, until: anomaly.step)
                    else { continue }
                case .overfitting:
                    // A validation loss creeping up while the score the run is judged by holds is
                    // over-confidence, not a problem to explain.
                    guard
                        anomaly.metric == primary
                            || Self.worsened(
                                primary.flatMap { series[$0] }, by: primary.map(profile), until: anomaly.step,
                                threshold: dropThreshold)
                            || Self.memorised(anomaly.metric, at: anomaly.step, series: series, profile: profile)
                    else { continue }
                case .divergence:
                    // A slow rise is named from its first warning, once it has grown serious.
                    guard
                        anomalies.contains(where: {
                            $0.type == .divergence && $0.metric == anomaly.metric && $0.severity >= .high
                        })
                    else { continue }
                default:
                    break
                }
                seen.insert(anomaly.metric)
                others.append(
                    Incident(
                        kind: kind, metric: anomaly.metric, step: anomaly.step, before: anomaly.baseline,
                        after: anomaly.value, magnitude: anomaly.magnitude ?? 0,
                        description: anomaly.message.contains("step")
                            ? "\(anomaly.message)." : "\(anomaly.message) (step \(anomaly.step))."))
            }
        }
        // Validation data that changed under the run without a drop of its own: scores before and
        // after are not comparable, which a user needs to know.
        if let primary, let change = validationChange(batchesByStep),
            !drops.contains(where: {
                abs($0.step - change.step) <= Self.evaluationGap(series[primary], at: change.step)
            })
        {
            others.append(
                Incident(
                    kind: .dataChange, metric: primary, step: change.step, before: nil, after: nil, magnitude: 0,
                    description:
                        "Validation batches \(RootCauseAnalyzer.ranges(change.batches)) hold other samples from step \(change.step) on (\(change.batches.count) of \(change.total) batches)."
                ))
        }
        // A non-finite training value explains itself once: its divergence is the same story.
        return drops + others
    }

    /// True when `incident`'s metric stayed on the worse side of the midpoint between its levels
    /// from the incident until `step`: a later drop alarm there is the same drop, not a new one.
    static func neverRecovered(
        from incident: Incident, until step: Int64, series: MetricSeries?, profile: MetricProfile
    ) -> Bool {
        guard incident.step < step, profile.name == incident.metric, let series, let before = incident.before,
            let after = incident.after
        else { return false }
        let midpoint = (before + after) / 2
        for (at, value) in zip(series.steps, series.values) where at >= incident.step && at < step && value.isFinite {
            if profile.worsening(from: midpoint, to: value) < 0 { return false }
        }
        return true
    }

    static func drop(
        _ metric: String, step: Int64, before: Double, after: Double, magnitude: Double,
        direction: MetricDirection?
    ) -> Incident {
        let verb = direction == .min ? "rose" : "fell"
        return Incident(
            kind: .drop, metric: metric, step: step, before: before, after: after, magnitude: magnitude,
            description: "\(metric) \(verb) from \(display(before)) to \(display(after)) at step \(step).")
    }

    /// A drop alarm is a drop when the next evaluation is still on the worse side of the midpoint
    /// (a single bad value that recovers at once is an outlier, not a new level).
    static func persists(_ anomaly: Anomaly, series: MetricSeries?, profile: MetricProfile) -> Bool {
        guard let series, let baseline = anomaly.baseline, let index = series.steps.firstIndex(of: anomaly.step) else {
            return true
        }
        guard let next = series.values[(index + 1)...].first(where: { $0.isFinite }) else { return true }
        return profile.worsening(from: (baseline + anomaly.value) / 2, to: next) >= 0
    }

    static func display(_ value: Double) -> String { value.displayValue }

    /// The usual distance between evaluations of a metric near a step (for "the same event").
    static func evaluationGap(_ series: MetricSeries?, at step: Int64) -> Int64 {
        guard let steps = series?.steps, steps.count > 1 else { return 1 }
        let gaps = zip(steps.dropFirst(), steps).map { $0 - $1 }.filter { $0 > 0 }
        return max(1, gaps.sorted()[gaps.count / 2]) * 2
    }
}
