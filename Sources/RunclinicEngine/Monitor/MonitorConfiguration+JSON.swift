import RunclinicJSON

extension MonitorConfiguration {
    /// The effective settings, in the YAML file's shape.
    public var json: JSONValue {
        var thresholds = JSONObject()
        for (metric, rule) in self.thresholds.sorted(by: { $0.key < $1.key }) {
            if let bound = rule.bound {
                thresholds[metric] = .double(bound)
            } else {
                var object = JSONObject()
                if let minimum = rule.minimum { object["min"] = .double(minimum) }
                if let maximum = rule.maximum { object["max"] = .double(maximum) }
                thresholds[metric] = .object(object)
            }
        }
        var metrics = JSONObject()
        for (metric, mode) in modes.sorted(by: { $0.key < $1.key }) {
            metrics[metric] = ["mode": .string(mode.rawValue)]
        }
        var alerts = JSONObject()
        if let slackWebhook { alerts["slack_webhook"] = .string(slackWebhook) }
        if let webhook { alerts["webhook"] = .string(webhook) }
        if let email {
            var mail: JSONObject = [
                "to": JSONValue(email.to), "from": .string(email.from), "smtp": .string("\(email.host):\(email.port)"),
                "starttls": .bool(email.startTLS), "dashboard_url": .string(email.dashboardURL),
            ]
            if let name = email.usernameVariable { mail["username_env"] = .string(name) }
            if let name = email.passwordVariable { mail["password_env"] = .string(name) }
            if let file = email.caFile { mail["ca_file"] = .string(file) }
            alerts["email"] = .object(mail)
        }
        alerts["min_severity"] = .string(webhookSeverity.rawValue)
        return [
            "experiment_monitoring": [
                "enable_real_time_analysis": .bool(enabled),
                "primary_metric": JSONValue(primaryMetric),
                "alert_thresholds": .object(thresholds),
                "anomaly_detection": [
                    "performance_drop_threshold": .double(dropThreshold), "zscore_threshold": .double(zscoreThreshold),
                    "window": .int(Int64(window)), "plateau_patience": .int(Int64(plateauPatience)),
                    "min_delta": .double(minDelta),
                    "spike_factor": .double(spikeFactor), "divergence_factor": .double(divergenceFactor),
                ],
                "metrics": .object(metrics),
                "auto_recovery": [
                    "enable": .bool(recoveryEnabled),
                    "strategies": JSONValue(
                        RecoveryStrategy.allCases.filter { strategies.contains($0) }.map(\.rawValue)),
                    "lr_factor": .double(lrFactor), "max_rollbacks": .int(Int64(maxRollbacks)),
                    "cooldown": .int(Int64(cooldown)),
                    "min_lr": .double(minLR),
                ],
                "alerts": .object(alerts),
            ]
        ]
    }
}
