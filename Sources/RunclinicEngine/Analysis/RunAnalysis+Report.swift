import RunclinicJSON

/// The analysis as the handbook's JSON experiment summary (`model_config`, `performance_metrics`,
/// `data_insights`, `anomalies`), with the root causes, change points and recommendations.
extension RunAnalysis {
    public var recommendations: [String] {
        var advice: [String] = []
        for explanation in rankedExplanations.prefix(3) {
            guard let top = explanation.hypotheses.first else { continue }
            let incident = explanation.incident
            switch top.cause {
            case .dataQuality:
                let examples = (top.samples ?? []).prefix(5).joined(separator: ", ")
                let others = explanation.hypotheses.dropFirst().filter { $0.cause == .dataQuality && $0.defect != nil }
                    .map {
                        "the \($0.defect!) images of batch\(($0.batches?.count ?? 0) > 1 ? "es" : "") \(RootCauseAnalyzer.ranges($0.batches ?? []))"
                    }
                let also = others.isEmpty ? "" : ", and \(others.joined(separator: " and "))"
                advice.append(
                    "Inspect or filter the \(top.defect ?? "defective") images of validation batches \(RootCauseAnalyzer.ranges(top.batches ?? [])) (\(top.samples?.count ?? 0), e.g. \(examples))\(also); call audit.filter on the dataset before training so they are caught early."
                )
            case .dataChange:
                advice.append(
                    "Pin the validation set: batches \(RootCauseAnalyzer.ranges(top.batches ?? [])) held other images from step \(incident.step) on, so the scores before and after are not comparable."
                )
            case .learningRate:
                let rate =
                    top.learningRateBefore.map {
                        " back to \($0.shortDescription) (its value before it rose), or at most 2x that"
                    } ?? ""
                advice.append(
                    "Lower the learning rate\(rate); add warm-up and gradient clipping.\(resume(before: incident.step))"
                )
            case .nonFinite, .divergence:
                let rate =
                    learningRate(before: incident.step).map {
                        " (at \(($0 / 2).shortDescription), half its \($0.shortDescription))"
                    } ?? ""
                advice.append("Clip gradients and halve the learning rate\(rate).\(resume(before: incident.step))")
            case .overfitting:
                let best =
                    metrics.first { $0.name == incident.metric }?.bestStep.map {
                        " around step \($0), where \(incident.metric) was best"
                    } ?? ""
                advice.append(
                    "Stop early\(best), or add regularisation (weight decay, augmentation, dropout).\(resume(before: Int64.max))"
                )
            case .plateau:
                let rate = learningRate(before: incident.step).map { " to \(($0 / 10).shortDescription)" } ?? " 10x"
                advice.append(
                    "Cut the learning rate\(rate) (or stop): \(incident.metric) stopped improving around step \(incident.step)."
                )
            case .recoveryAction:
                advice.append(
                    "Check what followed the monitor's action before step \(incident.step): the drop came after it.")
            case .unexplained:
                advice.append(
                    "Look at \(incident.metric) around step \(incident.step) by hand: no logged evidence explains it.")
            }
        }
        var seen: Set<String> = []
        return advice.filter { seen.insert($0).inserted }  // several incidents, one cause: said once
    }

    /// " Resume from <path> (step N, <metric> V)." for the best checkpoint before `step`.
    func resume(before step: Int64) -> String {
        guard let checkpoint = checkpoints.first(where: { $0.step < step }) else { return "" }
        let score = checkpoint.score.map { ", \(primaryMetric ?? "score") \(IncidentFinder.display($0))" } ?? ""
        return " Resume from \(checkpoint.path) (step \(checkpoint.step)\(score))."
    }

    /// The last finite learning rate logged before `step`.
    func learningRate(before step: Int64) -> Double? {
        for (name, values) in series
        where MetricProfile(name: name, configuration: MonitorConfiguration()).role == .learningRate {
            if let index = values.steps.indices.last(where: {
                values.steps[$0] < step && values.values[$0].isFinite && values.values[$0] > 0
            }) {
                return values.values[index]
            }
        }
        return nil
    }

    public var summaryJSON: JSONValue {
        var performance = JSONObject()
        for metric in metrics {
            let key = metric.name
            if let best = metric.best { performance["best_\(key)"] = .double(best) }
            if let final = metric.final { performance["final_\(key)"] = .double(final) }
        }
        if let drop = rankedExplanations.first(where: { $0.incident.kind == .drop }) {
            performance["performance_drop_step"] = .int(drop.incident.step)
        }
        var defects = JSONObject()
        for (issue, count) in dataInsights.defects { defects[issue.rawValue] = .int(Int64(count)) }
        var insights: JSONObject = [
            "total_images": .int(Int64(dataInsights.totalImages)),
            "audited_images": .int(Int64(dataInsights.auditedImages)),
            "suspected_bad_images": .int(Int64(dataInsights.suspectedBadImages.count)),
            "suspected_bad_image_paths": JSONValue(Array(dataInsights.suspectedBadImages.prefix(1_000))),
            "defects": .object(defects),
        ]
        if let unavailable = dataInsights.auditUnavailable { insights["audit_unavailable"] = .string(unavailable) }
        return [
            "run": .string(run.name), "project": .string(run.project), "status": .string(run.status.rawValue),
            "model_config": run.config ?? .null,
            "primary_metric": JSONValue(primaryMetric),
            "performance_metrics": .object(performance),
            "data_insights": .object(insights),
            "anomalies": .array(
                explanations.map { explanation in
                    let top = explanation.hypotheses.first
                    var cause = top?.cause.rawValue ?? RootCauseHypothesis.Cause.unexplained.rawValue
                    if let defect = top?.defect { cause += ": \(defect)" }
                    return [
                        "step": .int(explanation.incident.step), "metric": .string(explanation.incident.metric),
                        "kind": .string(explanation.incident.kind.rawValue),
                        "drop_magnitude": .double(explanation.incident.magnitude),
                        "suspected_cause": .string(cause),
                    ]
                }),
            "root_causes": .array(explanations.map(\.json)),
            "primary": primaryJSON,
            "key_finding": .string(keyFinding),
            "recommendations": JSONValue(recommendations),
        ]
    }

    /// The incident that matters most and its best explanation (null when nothing needs explaining).
    public var primaryJSON: JSONValue {
        guard let primary else { return .null }
        var object = primary.json.objectValue ?? JSONObject()
        object["hypothesis"] = primary.hypotheses.first?.json ?? .null
        return .object(object)
    }

    public var changePointsJSON: JSONValue {
        .array(
            changePoints.map { point in
                var object: JSONObject = [
                    "metric": .string(point.metric), "step": .int(point.step), "before": .double(point.before),
                    "after": .double(point.after),
                ]
                if let batch = point.batch { object["batch"] = .int(batch) }
                return .object(object)
            })
    }
}

extension RunAnalysis.Explanation {
    public var json: JSONValue {
        [
            "incident": [
                "kind": .string(incident.kind.rawValue), "metric": .string(incident.metric),
                "step": .int(incident.step),
                "before": JSONValue(incident.before), "after": JSONValue(incident.after),
                "magnitude": .double(incident.magnitude),
                "description": .string(incident.description),
            ],
            "hypotheses": .array(hypotheses.map(\.json)),
        ]
    }
}

extension RootCauseHypothesis {
    public var json: JSONValue {
        var object: JSONObject = [
            "cause": .string(cause.rawValue), "confidence": .double(confidence), "evidence": JSONValue(evidence),
        ]
        if let batches { object["batches"] = .array(batches.map { .int($0) }) }
        if let samples { object["samples"] = JSONValue(samples) }
        if let defect { object["defect"] = .string(defect) }
        return .object(object)
    }
}
