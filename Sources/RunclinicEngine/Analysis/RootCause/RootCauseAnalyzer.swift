import Foundation

/// Ranks the causes of one incident from the run's evidence. The rules, and the confidence each
/// gives (the evidence strings say what was measured):
/// - data_quality: the drop is concentrated in a minority of batches (they carry >= 50% of the
///   worsening) and their images carry one audit defect significantly more often than the other
///   batches' (Fisher's exact test, p < 0.01): 0.6 + 0.2 x share + up to 0.15 for significance.
/// - data_change: the dropped batches' images changed at that step (a batch holds other samples
///   than at its previous evaluation) while most others did not: 0.5 + 0.3 x share.
/// - learning_rate: the logged learning rate rose at least 2x within the few evaluations before
///   the incident: 0.9 (0.75 for a drop).
/// - non_finite / divergence: a training metric became non-finite or diverged at or before the
///   incident, within its window: 0.8 / 0.7.
/// - overfitting, plateau: the monitor's overfitting (train/validation gap) or plateau rule at the
///   incident: 0.75 / 0.6.
/// - recovery_action: the monitor advised a rollback or an LR cut within the window: 0.4.
/// - unexplained: nothing above holds (confidence 0.5 less half the best other's: what remains,
///   not a certainty).
struct RootCauseAnalyzer {
    let series: [String: MetricSeries]
    let batchesByStep: [Int64: [BatchRecord]]
    let anomalies: [Anomaly]
    let actions: [RecoveryActionRecord]
    let profile: (String) -> MetricProfile
    let dropThreshold: Double
    /// Audit verdicts of images, by the path as logged.
    let verdicts: [String: [ImageIssue]]

    func explain(_ incident: Incident) -> [RootCauseHypothesis] {
        var hypotheses: [RootCauseHypothesis] = []
        let start = windowStart(incident)
        let data = incident.kind == .drop ? dataHypotheses(incident) : []
        hypotheses += data
        if let rise = learningRateRise(before: incident.step, since: start) {
            hypotheses.append(RootCauseHypothesis(
                cause: .learningRate, confidence: incident.kind == .drop ? 0.75 : 0.9,
                evidence: ["the learning rate (\(rise.metric)) rose \(rise.factor.shortDescription)x, from \(rise.from.shortDescription) to \(rise.to.shortDescription), at step \(rise.step), before \(incident.metric) went wrong at step \(incident.step)"],
                learningRateBefore: rise.from))
        }
        let training = anomalies.filter { $0.batch == nil && profile($0.metric).role == .training && $0.step >= start && $0.step <= incident.step }
        if let nan = training.first(where: { $0.type == .nonFinite }) ?? (incident.kind == .nonFinite ? incidentAnomaly(incident, .nonFinite) : nil) {
            hypotheses.append(RootCauseHypothesis(cause: .nonFinite, confidence: 0.8,
                                                  evidence: ["\(nan.metric) became \(nan.value.shortDescription) at step \(nan.step)"]))
        }
        if let diverged = training.first(where: { $0.type == .divergence || $0.type == .spike }) ?? (incident.kind == .divergence ? incidentAnomaly(incident, .divergence) : nil) {
            hypotheses.append(RootCauseHypothesis(cause: .divergence, confidence: 0.7,
                                                  evidence: ["\(diverged.metric) diverged at step \(diverged.step): \(diverged.message)"]))
        }
        let nearby = anomalies.filter { $0.batch == nil && $0.step >= start && $0.step <= incident.step }
        if let gap = nearby.first(where: { $0.type == .overfitting }) ?? (incident.kind == .overfitting ? incidentAnomaly(incident, .overfitting) : nil) {
            hypotheses.append(RootCauseHypothesis(cause: .overfitting, confidence: 0.75,
                                                  evidence: ["\(gap.metric): \(gap.message) (step \(gap.step))"]))
        }
        if incident.kind == .plateau || (incident.kind == .drop && nearby.contains { $0.type == .plateau && $0.metric == incident.metric }) {
            hypotheses.append(RootCauseHypothesis(cause: .plateau, confidence: 0.6,
                                                  evidence: ["\(incident.metric) stopped improving (step \(incident.step))"]))
        }
        let advised = actions.filter { $0.step >= start && $0.step < incident.step }
        if !advised.isEmpty {
            hypotheses.append(RootCauseHypothesis(cause: .recoveryAction, confidence: 0.4,
                                                  evidence: advised.map { "the monitor advised \($0.kind) at step \($0.step) (\($0.reason)); \(followed($0, metric: incident.metric))" }))
        }
        // A drop carried by a few batches is not what a cause acting on the whole model (learning
        // rate, divergence, overfitting, plateau) does: those count half.
        if data.contains(where: { $0.batches != nil }) {
            for index in hypotheses.indices where hypotheses[index].batches == nil && hypotheses[index].cause != .recoveryAction {
                hypotheses[index].confidence *= 0.5
                hypotheses[index].evidence.append("(counts half: the drop sits in a few batches, which a cause acting on the whole model would not single out)")
            }
        }
        hypotheses.sort { $0.confidence > $1.confidence }
        let strongest = hypotheses.first?.confidence ?? 0
        if strongest < 0.5 {
            // Nothing fits: said as what remains, never as a certainty that nothing explains it.
            var unexplained = RootCauseHypothesis(cause: .unexplained, confidence: 0.5 - strongest / 2,
                                                  evidence: ["no concentration in a few batches with defective images, no data change, no learning-rate rise, no non-finite or diverging training metric before step \(incident.step)"])
            if let concentrated = hypotheses.first(where: { $0.batches != nil }) {
                unexplained.batches = concentrated.batches
                unexplained.evidence = concentrated.evidence
            }
            hypotheses.insert(unexplained, at: 0)
        }
        return hypotheses
    }

    /// What followed an action: the metric's last value before it and its values over the next
    /// three evaluations (better, worse or the same, by the metric's direction).
    func followed(_ action: RecoveryActionRecord, metric: String) -> String {
        guard let values = series[metric], let index = values.steps.lastIndex(where: { $0 <= action.step }) else {
            return "\(metric) was not evaluated around it"
        }
        let before = values.values[index]
        let after = values.values[(index + 1)..<min(values.values.count, index + 4)].filter(\.isFinite)
        guard let last = after.last else { return "nothing was logged after it" }
        let change = profile(metric).worsening(from: before, to: last)
        let verdict = change > 0 ? "worse" : (change < 0 ? "better" : "unchanged")
        return "\(metric) went from \(IncidentFinder.display(before)) to \(IncidentFinder.display(last)) over the next \(after.count) evaluations (\(verdict))"
    }

    /// Where the evidence for an incident is looked for: three evaluations back, of its own
    /// metric or of the validation metrics, whichever reaches further (a training loss logged
    /// every step would otherwise look back only a few steps).
    func windowStart(_ incident: Incident) -> Int64 {
        var start = Int64.max
        for (name, values) in series where name == incident.metric || profile(name).role == .validation {
            guard let index = values.steps.lastIndex(where: { $0 < incident.step }) else { start = Int64.min; continue }
            start = min(start, values.steps[max(0, index - 2)])
        }
        return start == Int64.max ? Int64.min : start
    }

    func incidentAnomaly(_ incident: Incident, _ type: AnomalyType) -> Anomaly {
        anomalies.first { $0.type == type && $0.metric == incident.metric && $0.step == incident.step }
            ?? Anomaly(type: type, metric: incident.metric, step: incident.step, value: incident.after ?? .nan, baseline: incident.before,
                       magnitude: incident.magnitude, severity: .high, message: incident.description)
    }

    // MARK: Data

    func dataHypotheses(_ incident: Incident) -> [RootCauseHypothesis] {
        guard let batchDrop = BatchDrop(metric: incident.metric, step: incident.step, batchesByStep: batchesByStep,
                                        profile: profile(incident.metric), threshold: profile(incident.metric).dropThreshold(dropThreshold)),
              batchDrop.isConcentrated else { return [] }
        let names = batchDrop.dropped.map(\.batch).sorted()
        let concentration = "the drop is concentrated in validation batches \(Self.ranges(names)) (\(names.count) of \(batchDrop.changes.count) batches carry \(Int((100 * batchDrop.share).rounded()))% of it)"
        var hypotheses: [RootCauseHypothesis] = []
        let droppedSamples = batchDrop.dropped.flatMap(\.samples)
        let defects = DefectEnrichment.enriched(dropped: droppedSamples, stable: batchDrop.stable.flatMap(\.samples), verdicts: verdicts)
        // Each dropped batch's defects: one batch may hold rotated scans, another blurred ones.
        let defectBatches = { (issue: ImageIssue) in
            batchDrop.dropped.filter { change in change.samples.contains { self.verdicts[$0]?.contains(issue) == true } }.map(\.batch).sorted()
        }
        let any = DefectEnrichment.anyDefect(dropped: droppedSamples, stable: batchDrop.stable.flatMap(\.samples), verdicts: verdicts)
        if let enriched = defects.first, enriched.pValue < 0.01 || (any?.pValue ?? 1) < 0.01 {
            let p = min(enriched.pValue, any?.pValue ?? 1)
            let significance = min(0.15, 0.025 * -log10(max(p, 1e-300)))
            let droppedRate = Double(enriched.droppedDefective) / Double(max(1, enriched.droppedTotal))
            let stableRate = Double(enriched.stableDefective) / Double(max(1, enriched.stableTotal))
            let own = defectBatches(enriched.issue)
            let share = batchDrop.dropped.filter { own.contains($0.batch) }.reduce(0) { $0 + max(0, $1.worsening) }
                / max(1e-12, batchDrop.dropped.reduce(0) { $0 + max(0, $1.worsening) })
            var evidence = ["\(enriched.issue.rawValue) images concentrated in validation batches \(Self.ranges(own))",
                            "\(enriched.droppedDefective) of \(enriched.droppedTotal) audited images in the batches that dropped are \(enriched.issue.rawValue) (\(Self.percent(droppedRate))), against \(enriched.stableDefective) of \(enriched.stableTotal) (\(Self.percent(stableRate))) in the other batches (Fisher's exact test p = \(enriched.pValue.shortDescription))",
                            concentration]
            let others = defects.dropFirst().filter { !defectBatches($0.issue).isEmpty && Set(defectBatches($0.issue)) != Set(own) }
            if !others.isEmpty {
                evidence.append("the other batches that dropped hold other defects: " + others.map { "\($0.issue.rawValue) in batch\(defectBatches($0.issue).count > 1 ? "es" : "") \(Self.ranges(defectBatches($0.issue)))" }.joined(separator: ", "))
            }
            let alike = defects.dropFirst().filter { Set(defectBatches($0.issue)) == Set(own) }
            if !alike.isEmpty {
                evidence.append("the same images are also \(alike.map(\.issue.rawValue).joined(separator: ", ")) (\(enriched.issue.rawValue) is named: it harms training most)")
            }
            if let any, any.pValue < enriched.pValue {
                evidence.append("\(any.droppedDefective) of \(any.droppedTotal) images of the batches that dropped carry some audit defect, against \(any.stableDefective) of \(any.stableTotal) in the others (p = \(any.pValue.shortDescription))")
            }
            hypotheses.append(RootCauseHypothesis(
                cause: .dataQuality, confidence: min(0.95, 0.55 + 0.25 * share + significance),
                evidence: evidence, batches: own, samples: enriched.examples, defect: enriched.issue.rawValue))
            // The other defects, each as its own (weaker) explanation of its batches.
            for other in others {
                let batches = defectBatches(other.issue)
                let otherShare = batchDrop.dropped.filter { batches.contains($0.batch) }.reduce(0) { $0 + max(0, $1.worsening) }
                    / max(1e-12, batchDrop.dropped.reduce(0) { $0 + max(0, $1.worsening) })
                hypotheses.append(RootCauseHypothesis(
                    cause: .dataQuality, confidence: min(0.9, 0.4 + 0.25 * otherShare),
                    evidence: ["\(other.issue.rawValue) images in validation batch\(batches.count > 1 ? "es" : "") \(Self.ranges(batches)), which dropped too (\(other.droppedDefective) of \(other.droppedTotal) images of the dropped batches, \(other.stableDefective) of \(other.stableTotal) elsewhere)"],
                    batches: batches, samples: other.examples, defect: other.issue.rawValue))
            }
        }
        let changed = batchDrop.dropped.filter { Self.samplesChanged($0) }
        let stableChanged = batchDrop.stable.filter { Self.samplesChanged($0) }
        if !changed.isEmpty, Double(changed.count) >= 0.5 * Double(batchDrop.dropped.count),
           Double(stableChanged.count) <= 0.25 * Double(max(1, batchDrop.stable.count)) {
            hypotheses.append(RootCauseHypothesis(
                cause: .dataChange, confidence: 0.5 + 0.3 * batchDrop.share,
                evidence: ["validation batches \(Self.ranges(changed.map(\.batch).sorted())) hold other images at step \(incident.step) than at their previous evaluation, while \(batchDrop.stable.count - stableChanged.count) of \(batchDrop.stable.count) other batches are unchanged",
                           concentration],
                batches: changed.map(\.batch).sorted(),
                samples: Array(Set(changed.flatMap { $0.samples }).subtracting(changed.flatMap { $0.previousSamples ?? [] })).sorted()))
        }
        if hypotheses.isEmpty {
            // Concentrated, but nothing known about its images: said, without naming a cause.
            hypotheses.append(RootCauseHypothesis(cause: .unexplained, confidence: 0.5, evidence: [concentration + "; no audit defect or data change sets their images apart (audit them, or give data_dir)"],
                                                  batches: names, samples: Array(droppedSamples.prefix(50))))
        }
        return hypotheses
    }

    static func samplesChanged(_ change: BatchDrop.Change) -> Bool {
        guard let previous = change.previousSamples else { return false }
        let before = Set(previous), after = Set(change.samples)
        guard !before.isEmpty || !after.isEmpty else { return false }
        return Double(before.intersection(after).count) / Double(before.union(after).count) < 0.9
    }

    // MARK: Learning rate

    struct Rise { let metric: String; let step: Int64; let from: Double; let to: Double; var factor: Double { to / from } }

    /// A rise of the logged learning rate by 2x or more within (since, before]: against the median
    /// of the values logged before the window.
    func learningRateRise(before step: Int64, since start: Int64) -> Rise? {
        for (name, values) in series where profile(name).role == .learningRate {
            let earlier = zip(values.steps, values.values).filter { $0.0 < start && $0.1.isFinite && $0.1 > 0 }.map(\.1)
            guard !earlier.isEmpty else { continue }
            let reference = TrailingWindow.median(Array(earlier.suffix(20)))
            for (at, value) in zip(values.steps, values.values) where at >= start && at <= step && value.isFinite {
                if value >= 2 * reference { return Rise(metric: name, step: at, from: reference, to: value) }
            }
        }
        return nil
    }

    // MARK: Wording

    static func percent(_ share: Double) -> String { "\(Int((100 * share).rounded()))%" }

    /// "3, 7, 12-15": consecutive batch numbers as ranges.
    static func ranges(_ numbers: [Int64]) -> String {
        var parts: [String] = []
        var index = 0
        while index < numbers.count {
            var end = index
            while end + 1 < numbers.count && numbers[end + 1] == numbers[end] + 1 { end += 1 }
            parts.append(end > index ? "\(numbers[index])-\(numbers[end])" : "\(numbers[index])")
            index = end + 1
        }
        return parts.joined(separator: ", ")
    }
}
