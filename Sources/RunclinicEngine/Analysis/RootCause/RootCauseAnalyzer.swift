import Foundation

/// Ranks the causes of one incident from the run's evidence. The rules, and the confidence each
/// gives (the evidence strings say what was measured):
/// - data_quality: the drop is concentrated in a minority of batches (they carry >= 50% of the
///   worsening) and their images carry one audit defect significantly more often than the other
///   batches' (Fisher's exact test, p < 0.01): 0.6 + 0.2 x share + up to 0.15 for significance.
/// - data arriving: batches that held still until the incident hold other samples at it, or the
///   files behind them were rewritten since their previous evaluation, and they carry most of the
///   worsening: data_quality when the new images carry an audit defect the old ones do not
///   (Fisher's exact test, p < 0.01): 0.6 + 0.2 x share + up to 0.15 for significance; else
///   data_change: 0.5 + 0.3 x share.
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
    /// When the image files were last modified (seconds since 1970), by the path as logged: a file
    /// rewritten during the run is data arriving even under the same name.
    var modificationTimes: [String: Double] = [:]
    /// The stored 48x48 thumbnails of images, by the path as logged (read only when an image
    /// change has no audit defect: are the new images the others turned?).
    var thumbnails: ([String]) -> [String: [UInt8]] = { _ in [:] }

    func explain(_ incident: Incident) -> [RootCauseHypothesis] {
        var hypotheses: [RootCauseHypothesis] = []
        let start = windowStart(incident)
        let data =
            incident.kind == .drop
            ? dataHypotheses(incident) : (incident.kind == .dataChange ? changedDataHypotheses(incident) : [])
        hypotheses += data
        if let rise = learningRateRise(before: incident.step, since: start) {
            hypotheses.append(
                RootCauseHypothesis(
                    cause: .learningRate, confidence: incident.kind == .drop ? 0.75 : 0.9,
                    evidence: [
                        "the learning rate (\(rise.metric)) rose \(rise.factor.shortDescription)x, from \(rise.from.shortDescription) to \(rise.to.shortDescription), at step \(rise.step), before \(incident.metric) went wrong at step \(incident.step)"
                    ],
                    learningRateBefore: rise.from))
        }
        let training = anomalies.filter {
            $0.batch == nil && profile($0.metric).role == .training && $0.step >= start && $0.step <= incident.step
        }
        if let nan = training.first(where: { $0.type == .nonFinite })
            ?? (incident.kind == .nonFinite ? incidentAnomaly(incident, .nonFinite) : nil)
        {
            hypotheses.append(
                RootCauseHypothesis(
                    cause: .nonFinite, confidence: 0.8,
                    evidence: ["\(nan.metric) became \(nan.value.shortDescription) at step \(nan.step)"]))
        }
        // A spike counts when it is serious: minibatch noise makes small ones.
        if let diverged = training.first(where: { $0.type == .divergence || $0.type == .spike && $0.severity >= .high })
            ?? (incident.kind == .divergence ? incidentAnomaly(incident, .divergence) : nil)
        {
            hypotheses.append(
                RootCauseHypothesis(
                    cause: .divergence, confidence: 0.7,
                    evidence: ["\(diverged.metric) diverged at step \(diverged.step): \(diverged.message)"]))
        }
        let nearby = anomalies.filter { $0.batch == nil && $0.step >= start && $0.step <= incident.step }
        if let gap = nearby.first(where: { $0.type == .overfitting })
            ?? (incident.kind == .overfitting ? incidentAnomaly(incident, .overfitting) : nil)
        {
            hypotheses.append(
                RootCauseHypothesis(
                    cause: .overfitting, confidence: 0.75,
                    evidence: ["\(gap.metric): \(gap.message) (step \(gap.step))"]))
        } else if incident.kind == .drop, let gap = growingGap(incident) {
            hypotheses.append(RootCauseHypothesis(cause: .overfitting, confidence: 0.7, evidence: [gap]))
        }
        // A plateau explains a metric that stopped improving, not one that got worse.
        if incident.kind == .plateau {
            hypotheses.append(
                RootCauseHypothesis(
                    cause: .plateau, confidence: 0.6,
                    evidence: ["\(incident.metric) stopped improving (step \(incident.step))"]))
        }
        let advised = actions.filter { $0.step >= start && $0.step < incident.step }
        if !advised.isEmpty {
            hypotheses.append(
                RootCauseHypothesis(
                    cause: .recoveryAction, confidence: 0.4,
                    evidence: advised.map {
                        "the monitor advised \($0.kind) at step \($0.step) (\($0.reason)); \(followed($0, metric: incident.metric))"
                    }))
        }
        // A drop carried by a few batches is not what a cause acting on the whole model (learning
        // rate, divergence, overfitting, plateau) does: those count half.
        if data.contains(where: { $0.batches != nil }) {
            for index in hypotheses.indices
            where hypotheses[index].batches == nil && hypotheses[index].cause != .recoveryAction {
                hypotheses[index].confidence *= 0.5
                hypotheses[index].evidence.append(
                    "(counts half: the drop sits in a few batches, which a cause acting on the whole model would not single out)"
                )
            }
        }
        hypotheses.sort { $0.confidence > $1.confidence }
        let strongest = hypotheses.first?.confidence ?? 0
        if strongest < 0.5 {
            // Nothing fits: said as what remains, never as a certainty that nothing explains it.
            var unexplained = RootCauseHypothesis(
                cause: .unexplained, confidence: 0.5 - strongest / 2,
                evidence: [
                    "no concentration in a few batches with defective images, no data change, no learning-rate rise, no non-finite or diverging training metric before step \(incident.step)"
                ])
            if let concentrated = hypotheses.first(where: { $0.batches != nil }) {
                unexplained.batches = concentrated.batches
                unexplained.evidence = concentrated.evidence
            }
            hypotheses.insert(unexplained, at: 0)
        }
        return hypotheses
    }

    /// Overfitting seen directly: from the step where the validation metric was best to the drop,
    /// the training loss went on falling (its level by a tenth or more) while the validation
    /// metric got worse by the drop threshold: the train/validation gap grew.
    func growingGap(_ incident: Incident) -> String? {
        let validation = profile(incident.metric)
        guard validation.role == .validation, let direction = validation.direction, let values = series[incident.metric]
        else { return nil }
        var best: (step: Int64, value: Double)? = nil
        for (step, value) in zip(values.steps, values.values) where step < incident.step && value.isFinite {
            if best == nil || direction.isBetter(value, than: best!.value) { best = (step, value) }
        }
        guard let best, let after = incident.after,
            validation.worsening(from: best.value, to: after) >= validation.dropThreshold(dropThreshold),
            incident.step - best.step >= 2 * IncidentFinder.evaluationGap(values, at: incident.step)
        else { return nil }
        guard let training = PairedTrainingLoss(pairedWith: incident.metric, in: series, profile: profile) else {
            return nil
        }
        let span = IncidentFinder.evaluationGap(values, at: incident.step)
        guard let then = training.level(near: best.step, span: span),
            let now = training.level(near: incident.step, span: span),
            then > 0, now <= 0.9 * then
        else { return nil }
        return
            "\(training.name) fell from \(then.shortDescription) to \(now.shortDescription) between step \(best.step), where \(incident.metric) was best (\(IncidentFinder.display(best.value))), and step \(incident.step), while \(incident.metric) got worse (\(IncidentFinder.display(after))): the gap between training and validation grew"
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
        return
            "\(metric) went from \(IncidentFinder.display(before)) to \(IncidentFinder.display(last)) over the next \(after.count) evaluations (\(verdict))"
    }

    /// Where the evidence for an incident is looked for: three evaluations back, of its own
    /// metric or of the validation metrics, whichever reaches further (a training loss logged
    /// every step would otherwise look back only a few steps).
    func windowStart(_ incident: Incident) -> Int64 {
        var start = Int64.max
        for (name, values) in series where name == incident.metric || profile(name).role == .validation {
            guard let index = values.steps.lastIndex(where: { $0 < incident.step }) else {
                start = Int64.min
                continue
            }
            start = min(start, values.steps[max(0, index - 2)])
        }
        return start == Int64.max ? Int64.min : start
    }

    func incidentAnomaly(_ incident: Incident, _ type: AnomalyType) -> Anomaly {
        anomalies.first { $0.type == type && $0.metric == incident.metric && $0.step == incident.step }
            ?? Anomaly(
                type: type, metric: incident.metric, step: incident.step, value: incident.after ?? .nan,
                baseline: incident.before,
                magnitude: incident.magnitude, severity: .high, message: incident.description)
    }

    // MARK: Data

    /// Data causes of a drop: images that arrived at it (new samples, rewritten files), then a drop
    /// concentrated in a few batches whose images carry a defect the others' do not. A data-quality
    /// cause found both ways is kept once, at its stronger confidence.
    func dataHypotheses(_ incident: Incident) -> [RootCauseHypothesis] {
        let threshold = profile(incident.metric).dropThreshold(dropThreshold)
        guard
            let batchDrop = BatchDrop(
                metric: incident.metric, step: incident.step, batchesByStep: batchesByStep,
                profile: profile(incident.metric), threshold: threshold)
        else { return [] }
        var hypotheses = arrivingDataHypotheses(incident, batchDrop, threshold: threshold)
        for hypothesis in concentratedDataHypotheses(incident, batchDrop) {
            if hypothesis.cause == .unexplained, !hypotheses.isEmpty { continue }
            if let index = hypotheses.firstIndex(where: {
                $0.cause == hypothesis.cause && $0.defect == hypothesis.defect && $0.defect != nil
            }) {
                // Found both ways: the stronger reading, with what the other saw.
                let (kept, other) =
                    hypothesis.confidence > hypotheses[index].confidence
                    ? (hypothesis, hypotheses[index]) : (hypotheses[index], hypothesis)
                hypotheses[index] = kept
                hypotheses[index].evidence += other.evidence.filter { !kept.evidence.contains($0) }
                continue
            }
            hypotheses.append(hypothesis)
        }
        return hypotheses.sorted { $0.confidence > $1.confidence }
    }

    /// A minority of batches carries most of the drop, and their images carry a defect more often
    /// than the other batches' (each dropped batch's own defect named).
    func concentratedDataHypotheses(_ incident: Incident, _ batchDrop: BatchDrop) -> [RootCauseHypothesis] {
        guard batchDrop.isConcentrated else { return [] }
        let names = batchDrop.dropped.map(\.batch).sorted()
        let concentration =
            "the drop is concentrated in validation batches \(Self.ranges(names)) (\(names.count) of \(batchDrop.changes.count) batches carry \(Int((100 * batchDrop.share).rounded()))% of it)"
        var hypotheses: [RootCauseHypothesis] = []
        let droppedSamples = batchDrop.dropped.flatMap(\.samples)
        let defects = DefectEnrichment.enriched(
            dropped: droppedSamples, stable: batchDrop.stable.flatMap(\.samples), verdicts: verdicts)
        // Each dropped batch's defects: one batch may hold rotated scans, another blurred ones.
        let defectBatches = { (issue: ImageIssue) in
            batchDrop.dropped.filter { change in change.samples.contains { self.verdicts[$0]?.contains(issue) == true }
            }.map(\.batch).sorted()
        }
        let any = DefectEnrichment.anyDefect(
            dropped: droppedSamples, stable: batchDrop.stable.flatMap(\.samples), verdicts: verdicts)
        if let enriched = defects.first, enriched.pValue < 0.01 || (any?.pValue ?? 1) < 0.01 {
            let p = min(enriched.pValue, any?.pValue ?? 1)
            let significance = Self.significance(p)
            let droppedRate = Double(enriched.droppedDefective) / Double(max(1, enriched.droppedTotal))
            let stableRate = Double(enriched.stableDefective) / Double(max(1, enriched.stableTotal))
            let own = defectBatches(enriched.issue)
            let share =
                batchDrop.dropped.filter { own.contains($0.batch) }.reduce(0) { $0 + max(0, $1.worsening) }
                / max(1e-12, batchDrop.dropped.reduce(0) { $0 + max(0, $1.worsening) })
            var evidence = [
                "\(enriched.issue.rawValue) images concentrated in validation batches \(Self.ranges(own))",
                "\(enriched.droppedDefective) of \(enriched.droppedTotal) audited images in the batches that dropped are \(enriched.issue.rawValue) (\(Self.percent(droppedRate))), against \(enriched.stableDefective) of \(enriched.stableTotal) (\(Self.percent(stableRate))) in the other batches (Fisher's exact test p = \(enriched.pValue.shortDescription))",
                concentration,
            ]
            let others = defects.dropFirst().filter {
                !defectBatches($0.issue).isEmpty && Set(defectBatches($0.issue)) != Set(own)
            }
            if !others.isEmpty {
                evidence.append(
                    "the other batches that dropped hold other defects: "
                        + others.map {
                            "\($0.issue.rawValue) in batch\(defectBatches($0.issue).count > 1 ? "es" : "") \(Self.ranges(defectBatches($0.issue)))"
                        }.joined(separator: ", "))
            }
            let alike = defects.dropFirst().filter { Set(defectBatches($0.issue)) == Set(own) }
            if !alike.isEmpty {
                evidence.append(
                    "the same images are also \(alike.map(\.issue.rawValue).joined(separator: ", ")) (\(enriched.issue.rawValue) is named: it harms training most)"
                )
            }
            if let any, any.pValue < enriched.pValue {
                evidence.append(
                    "\(any.droppedDefective) of \(any.droppedTotal) images of the batches that dropped carry some audit defect, against \(any.stableDefective) of \(any.stableTotal) in the others (p = \(any.pValue.shortDescription))"
                )
            }
            hypotheses.append(
                RootCauseHypothesis(
                    cause: .dataQuality, confidence: min(0.95, 0.55 + 0.25 * share + significance),
                    evidence: evidence, batches: own, samples: enriched.examples, defect: enriched.issue.rawValue))
            // The other defects, each as its own (weaker) explanation of its batches.
            for other in others {
                let batches = defectBatches(other.issue)
                let otherShare =
                    batchDrop.dropped.filter { batches.contains($0.batch) }.reduce(0) { $0 + max(0, $1.worsening) }
                    / max(1e-12, batchDrop.dropped.reduce(0) { $0 + max(0, $1.worsening) })
                hypotheses.append(
                    RootCauseHypothesis(
                        cause: .dataQuality, confidence: min(0.9, 0.4 + 0.25 * otherShare),
                        evidence: [
                            "\(other.issue.rawValue) images in validation batch\(batches.count > 1 ? "es" : "") \(Self.ranges(batches)), which dropped too (\(other.droppedDefective) of \(other.droppedTotal) images of the dropped batches, \(other.stableDefective) of \(other.stableTotal) elsewhere)"
                        ],
                        batches: batches, samples: other.examples, defect: other.issue.rawValue))
            }
        }
        if hypotheses.isEmpty,
            let turned = turnedImages(new: droppedSamples, reference: batchDrop.stable.flatMap(\.samples))
        {
            let own = batchDrop.dropped.filter { change in change.samples.contains { turned.turned.contains($0) } }.map(
                \.batch
            ).sorted()
            hypotheses.append(
                RootCauseHypothesis(
                    cause: .dataQuality,
                    confidence: min(0.9, 0.55 + 0.25 * batchDrop.share + Self.significance(turned.pValue)),
                    evidence: Self.turnedEvidence(
                        turned, in: own.isEmpty ? names : own, newWord: "images of the batches that dropped") + [
                            concentration
                        ],
                    batches: own.isEmpty ? names : own, samples: turned.turned, defect: turned.defect.rawValue))
        }
        if hypotheses.isEmpty {
            // Concentrated, but nothing known about its images: said, without naming a cause.
            hypotheses.append(
                RootCauseHypothesis(
                    cause: .unexplained, confidence: 0.5,
                    evidence: [
                        concentration
                            + "; no audit defect or data change sets their images apart (audit them, or give data_dir)"
                    ],
                    batches: names, samples: Array(droppedSamples.prefix(50))))
        }
        return hypotheses
    }

    /// Validation data that changed without a drop: its new images against those they replaced
    /// and the other batches' (data_quality when they carry a defect, else data_change).
    func changedDataHypotheses(_ incident: Incident) -> [RootCauseHypothesis] {
        let current = batchesByStep[incident.step] ?? []
        let earlier = batchesByStep.keys.filter { $0 < incident.step }.max().flatMap { batchesByStep[$0] } ?? []
        var newSamples: [String] = []
        var oldSamples: [String] = []
        var changed: [Int64] = []
        for record in current {
            let previous = earlier.first { $0.batch == record.batch }?.samples ?? []
            let fresh = record.samples.filter { !previous.contains($0) }
            if Double(fresh.count) > 0.1 * Double(max(1, record.samples.count)) {
                changed.append(record.batch)
                newSamples += fresh
                oldSamples += previous.filter { !record.samples.contains($0) }
            } else {
                oldSamples += record.samples
            }
        }
        guard !changed.isEmpty else { return [] }
        let how =
            "validation batch\(changed.count > 1 ? "es" : "") \(Self.ranges(changed.sorted())) hold other images from step \(incident.step) on; scores before and after are not comparable"
        if let top = DefectEnrichment.enriched(dropped: newSamples, stable: oldSamples, verdicts: verdicts).first,
            top.pValue < 0.01
        {
            return [
                RootCauseHypothesis(
                    cause: .dataQuality, confidence: 0.6,
                    evidence: [
                        how,
                        "\(top.droppedDefective) of \(top.droppedTotal) new images are \(top.issue.rawValue), against \(top.stableDefective) of \(top.stableTotal) of the others (Fisher's exact test p = \(top.pValue.shortDescription))",
                    ],
                    batches: changed.sorted(), samples: top.examples, defect: top.issue.rawValue)
            ]
        }
        if let turned = turnedImages(new: newSamples, reference: oldSamples) {
            return [
                RootCauseHypothesis(
                    cause: .dataQuality, confidence: 0.6,
                    evidence: [how] + Self.turnedEvidence(turned, in: changed.sorted(), newWord: "new images"),
                    batches: changed.sorted(), samples: turned.turned, defect: turned.defect.rawValue)
            ]
        }
        return [
            RootCauseHypothesis(
                cause: .dataChange, confidence: 0.6, evidence: [how], batches: changed.sorted(),
                samples: Array(Set(newSamples)).sorted())
        ]
    }

    /// Data that arrived at the incident: batches whose samples changed then (having held still
    /// before) or whose files were rewritten since their previous evaluation, carrying most of the
    /// worsening. Their new images against the old: a defect they carry (data_quality), or none
    /// (data_change).
    func arrivingDataHypotheses(_ incident: Incident, _ batchDrop: BatchDrop, threshold: Double)
        -> [RootCauseHypothesis]
    {
        var rewrittenByBatch: [Int64: [String]] = [:]
        for change in batchDrop.changes { rewrittenByBatch[change.batch] = rewrittenSamples(change) }
        let arriving = batchDrop.changes.filter { change in
            (Self.samplesChanged(change) && !Self.changedBefore(change))
                || !(rewrittenByBatch[change.batch] ?? []).isEmpty
        }
        let fell = arriving.filter { $0.worsening >= threshold }
        guard !fell.isEmpty, fell.count < batchDrop.changes.count else { return [] }
        let total = batchDrop.changes.reduce(0) { $0 + max(0, $1.worsening) }
        let share = total > 0 ? fell.reduce(0) { $0 + max(0, $1.worsening) } / total : 0
        guard share >= 0.5 else { return [] }
        let fellBatches = Set(fell.map(\.batch))
        var newSamples: [String] = []
        var oldSamples: [String] = []
        var replaced: [Int64] = []
        var rewritten: [Int64] = []
        for change in fell {
            let previous = Set(change.previousSamples ?? [])
            let rewrittenHere = rewrittenByBatch[change.batch] ?? []
            if !rewrittenHere.isEmpty { rewritten.append(change.batch) }
            if Self.samplesChanged(change) { replaced.append(change.batch) }
            newSamples += change.samples.filter { !previous.contains($0) } + rewrittenHere
            oldSamples += (change.previousSamples ?? []).filter { !change.samples.contains($0) }
        }
        for change in batchDrop.changes where !fellBatches.contains(change.batch) { oldSamples += change.samples }
        let batches = fell.map(\.batch).sorted()
        var how: [String] = []
        if !replaced.isEmpty {
            how.append(
                "validation batch\(replaced.count > 1 ? "es" : "") \(Self.ranges(replaced.sorted())) hold other images at step \(incident.step) than at their previous evaluation"
            )
        }
        if !rewritten.isEmpty {
            how.append(
                "the image files behind validation batch\(rewritten.count > 1 ? "es" : "") \(Self.ranges(rewritten.sorted())) were rewritten since their previous evaluation (same names, new contents)"
            )
        }
        let carried =
            "they carry \(Self.percent(share)) of the drop at step \(incident.step), while \(batchDrop.changes.count - fell.count) other batches held"
        let enriched = DefectEnrichment.enriched(dropped: newSamples, stable: oldSamples, verdicts: verdicts)
        if let top = enriched.first, top.pValue < 0.01 {
            let significance = Self.significance(top.pValue)
            let own = fell.filter { change in change.samples.contains { self.verdicts[$0]?.contains(top.issue) == true }
            }.map(\.batch).sorted()
            return [
                RootCauseHypothesis(
                    cause: .dataQuality, confidence: min(0.95, 0.6 + 0.2 * share + significance),
                    evidence: [
                        "\(top.issue.rawValue) images arrived in validation batches \(Self.ranges(own.isEmpty ? batches : own)) at step \(incident.step)",
                        "\(top.droppedDefective) of \(top.droppedTotal) new images are \(top.issue.rawValue), against \(top.stableDefective) of \(top.stableTotal) (\(Self.percent(Double(top.stableDefective) / Double(max(1, top.stableTotal))))) of the images they replaced and of the other batches (Fisher's exact test p = \(top.pValue.shortDescription))",
                    ]
                        + how + [carried],
                    batches: own.isEmpty ? batches : own, samples: top.examples, defect: top.issue.rawValue)
            ]
        }
        if let turned = turnedImages(new: newSamples, reference: oldSamples) {
            let own = fell.filter { change in change.samples.contains { turned.turned.contains($0) } }.map(\.batch)
                .sorted()
            return [
                RootCauseHypothesis(
                    cause: .dataQuality, confidence: min(0.9, 0.6 + 0.2 * share + Self.significance(turned.pValue)),
                    evidence: Self.turnedEvidence(turned, in: own.isEmpty ? batches : own, newWord: "new images") + how
                        + [carried],
                    batches: own.isEmpty ? batches : own, samples: turned.turned, defect: turned.defect.rawValue)
            ]
        }
        let audited = newSamples.filter { verdicts[$0] != nil }.count
        let auditNote =
            audited == 0
            ? "; the new images could not be audited (give data_dir)"
            : "; \(audited) of them audited, no defect sets them apart"
        return [
            RootCauseHypothesis(
                cause: .dataChange, confidence: 0.5 + 0.3 * share,
                evidence: how + [carried + auditNote],
                batches: batches, samples: Array(Set(newSamples)).sorted())
        ]
    }

    /// New images that look like the reference images turned (TurnedImages), when their
    /// thumbnails are stored.
    func turnedImages(new: [String], reference: [String]) -> TurnedImages.Finding? {
        let newSamples = Array(Set(new)).sorted()
        let referenceSamples = Array(Set(reference).subtracting(new)).sorted()
        guard newSamples.count >= 5, referenceSamples.count >= 20 else { return nil }
        let found = thumbnails(newSamples + referenceSamples)
        return TurnedImages.compare(
            new: newSamples.compactMap { sample in found[sample].map { (sample, $0) } },
            reference: referenceSamples.compactMap { sample in found[sample].map { (sample, $0) } })
    }

    static func turnedEvidence(_ turned: TurnedImages.Finding, in batches: [Int64], newWord: String) -> [String] {
        let share = Double(turned.turned.count) / Double(max(1, turned.compared))
        let referenceShare = Double(turned.referenceTurned) / Double(max(1, turned.referenceCompared))
        return [
            "\(turned.defect.rawValue) images in validation batch\(batches.count > 1 ? "es" : "") \(ranges(batches)): turned back, they match the run's other images",
            "\(turned.turned.count) of \(turned.compared) \(newWord) look like the others turned (\(turned.poses); \(percent(share))), against \(turned.referenceTurned) of \(turned.referenceCompared) of the others (\(percent(referenceShare))) (Fisher's exact test p = \(turned.pValue.shortDescription)); the audit sees rotation only in pages of text",
        ]
    }

    /// What a Fisher p-value adds to a data cause's confidence: up to 0.15, 0.025 per decade.
    static func significance(_ p: Double) -> Double { min(0.15, 0.025 * -log10(max(p, 1e-300))) }

    /// The samples of a batch whose files were modified after its previous evaluation was logged
    /// and no later than this one (plus a minute for clocks and buffered writes).
    func rewrittenSamples(_ change: BatchDrop.Change) -> [String] {
        guard let since = change.previousTime, !modificationTimes.isEmpty,
            Set(change.previousSamples ?? []) == Set(change.samples)
        else { return [] }
        return change.samples.filter { sample in
            guard let modified = modificationTimes[sample] else { return false }
            return modified > since && modified <= change.time + 60
        }
    }

    /// True when the batch's samples also changed at its previous evaluation: a reshuffling
    /// loader, not data arriving.
    static func changedBefore(_ change: BatchDrop.Change) -> Bool {
        SampleSets.differ(change.earlierSamples, change.previousSamples)
    }

    static func samplesChanged(_ change: BatchDrop.Change) -> Bool {
        SampleSets.differ(change.previousSamples, change.samples)
    }

    // MARK: Learning rate

    struct Rise {
        let metric: String
        let step: Int64
        let from: Double
        let to: Double
        var factor: Double { to / from }
    }

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
