import RunclinicJSON

/// The analysis as the handbook's JSON experiment summary (`model_config`, `performance_metrics`,
/// `data_insights`, `anomalies`), with the root causes, change points and recommendations.
extension RunAnalysis {
    public var recommendations: [String] {
        var advice: [String] = []
        for explanation in explanations.prefix(3) {
            guard let top = explanation.hypotheses.first else { continue }
            let incident = explanation.incident
            switch top.cause {
            case .dataQuality:
                let examples = (top.samples ?? []).prefix(5).joined(separator: ", ")
                advice.append("Inspect or filter the \(top.defect ?? "defective") images of validation batches \(RootCauseAnalyzer.ranges(top.batches ?? [])) (\(top.samples?.count ?? 0), e.g. \(examples)); call audit.filter on the dataset before training so they are caught early.")
            case .dataChange:
                advice.append("Pin the validation set: batches \(RootCauseAnalyzer.ranges(top.batches ?? [])) held other images from step \(incident.step) on, so the scores before and after are not comparable.")
            case .learningRate:
                advice.append("Lower the learning rate: it rose before step \(incident.step); keep it at or under its earlier value, or add warm-up and gradient clipping.")
            case .nonFinite, .divergence:
                advice.append("Resume from the best checkpoint before step \(incident.step) with the learning rate halved, and clip gradients.")
            case .overfitting:
                advice.append("Stop early near the best step of \(incident.metric), or add regularisation (weight decay, augmentation, dropout).")
            case .plateau:
                advice.append("Cut the learning rate 10x (or stop): \(incident.metric) stopped improving around step \(incident.step).")
            case .recoveryAction:
                advice.append("Check what followed the monitor's action before step \(incident.step): the drop came after it.")
            case .unexplained:
                advice.append("Look at \(incident.metric) around step \(incident.step) by hand: no logged evidence explains it.")
            }
        }
        return advice
    }

    public var summaryJSON: JSONValue {
        var performance = JSONObject()
        for metric in metrics {
            let key = metric.name
            if let best = metric.best { performance["best_\(key)"] = .double(best) }
            if let final = metric.final { performance["final_\(key)"] = .double(final) }
        }
        if let drop = explanations.first(where: { $0.incident.kind == .drop }) { performance["performance_drop_step"] = .int(drop.incident.step) }
        var defects = JSONObject()
        for (issue, count) in dataInsights.defects { defects[issue.rawValue] = .int(Int64(count)) }
        return [
            "run": .string(run.name), "project": .string(run.project), "status": .string(run.status.rawValue),
            "model_config": run.config ?? .null,
            "primary_metric": JSONValue(primaryMetric),
            "performance_metrics": .object(performance),
            "data_insights": [
                "total_images": .int(Int64(dataInsights.totalImages)), "audited_images": .int(Int64(dataInsights.auditedImages)),
                "suspected_bad_images": .int(Int64(dataInsights.suspectedBadImages.count)),
                "suspected_bad_image_paths": JSONValue(Array(dataInsights.suspectedBadImages.prefix(1_000))),
                "defects": .object(defects),
            ],
            "anomalies": .array(explanations.map { explanation in
                let top = explanation.hypotheses.first
                var cause = top?.cause.rawValue ?? RootCauseHypothesis.Cause.unexplained.rawValue
                if let defect = top?.defect { cause += ": \(defect)" }
                return [
                    "step": .int(explanation.incident.step), "metric": .string(explanation.incident.metric),
                    "kind": .string(explanation.incident.kind.rawValue), "drop_magnitude": .double(explanation.incident.magnitude),
                    "suspected_cause": .string(cause),
                ]
            }),
            "root_causes": .array(explanations.map(\.json)),
            "key_finding": .string(keyFinding),
            "recommendations": JSONValue(recommendations),
        ]
    }

    public var changePointsJSON: JSONValue {
        .array(changePoints.map { point in
            var object: JSONObject = ["metric": .string(point.metric), "step": .int(point.step), "before": .double(point.before),
                                      "after": .double(point.after)]
            if let batch = point.batch { object["batch"] = .int(batch) }
            return .object(object)
        })
    }
}

extension RunAnalysis.Explanation {
    public var json: JSONValue {
        [
            "incident": [
                "kind": .string(incident.kind.rawValue), "metric": .string(incident.metric), "step": .int(incident.step),
                "before": JSONValue(incident.before), "after": JSONValue(incident.after), "magnitude": .double(incident.magnitude),
                "description": .string(incident.description),
            ],
            "hypotheses": .array(hypotheses.map(\.json)),
        ]
    }
}

extension RootCauseHypothesis {
    public var json: JSONValue {
        var object: JSONObject = ["cause": .string(cause.rawValue), "confidence": .double(confidence), "evidence": JSONValue(evidence)]
        if let batches { object["batches"] = .array(batches.map { .int($0) }) }
        if let samples { object["samples"] = JSONValue(samples) }
        if let defect { object["defect"] = .string(defect) }
        return .object(object)
    }
}
