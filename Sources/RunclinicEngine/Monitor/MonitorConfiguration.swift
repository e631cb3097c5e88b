import RunclinicJSON

/// The `experiment_monitoring` section of a run's configuration (the handbook's YAML shape).
/// Sources stack: defaults, then `serve --config FILE`, then the run's inline config.
public struct MonitorConfiguration: Sendable, Equatable {
    public var enabled = true
    public var primaryMetric: String?
    /// Bounds per metric: a value past them is a `threshold` anomaly.
    public var thresholds: [String: ThresholdRule] = [:]
    /// Worsening (absolute for scores, relative for losses) that makes a `sudden_drop`.
    public var dropThreshold = 0.05
    public var zscoreThreshold = 3.0
    public var window = 30
    public var plateauPatience = 10
    /// Improvement smaller than this (relative) does not reset the plateau count (ReduceLROnPlateau's rule; 1e-3 by default).
    public var minDelta = 1e-3
    /// A training loss above this multiple of its moving average is a `spike`.
    public var spikeFactor = 3.0
    /// A training loss held above this multiple of its running minimum is `divergence`.
    public var divergenceFactor = 3.0
    public var modes: [String: MetricDirection] = [:]
    public var recoveryEnabled = true
    public var strategies: Set<RecoveryStrategy> = Set(RecoveryStrategy.allCases)
    public var lrFactor = 0.5
    public var maxRollbacks = 3
    /// Evaluations to wait after a learning-rate cut before the next one.
    public var cooldown = 5
    /// No cut takes the learning rate below this.
    public var minLR = 1e-7
    public var slackWebhook: String?
    public var webhook: String?
    public var email: EmailAlertSettings?
    /// Alerts below this severity are stored but not pushed to webhooks or mailed.
    public var webhookSeverity: AnomalySeverity = .warning

    public init() {}

    public struct ThresholdRule: Sendable, Equatable {
        public var minimum: Double?
        public var maximum: Double?
        /// A bare number: a floor for metrics where higher is better, a ceiling for the others.
        public var bound: Double?
    }

    /// Reads `experiment_monitoring` from a run config (or a config file's top level) on top of
    /// `base`. Bad values throw with the key's path; unknown keys come back as warnings.
    public static func parse(_ config: JSONValue?, base: MonitorConfiguration = MonitorConfiguration())
        throws(ConfigurationError) -> (configuration: MonitorConfiguration, warnings: [String])
    {
        var result = base
        var reader = ConfigurationReader()
        guard let config, let section = config["experiment_monitoring"] else { return (result, []) }
        let root = "experiment_monitoring"
        let members = try reader.object(
            section, at: root,
            known: [
                "enable_real_time_analysis", "primary_metric", "alert_thresholds", "anomaly_detection", "metrics",
                "auto_recovery", "reporting", "alerts",
            ])
        if let value = members["enable_real_time_analysis"] {
            result.enabled = try reader.bool(value, at: "\(root).enable_real_time_analysis")
        }
        if let value = members["primary_metric"] {
            result.primaryMetric = try reader.string(value, at: "\(root).primary_metric")
        }
        if let value = members["alert_thresholds"] {
            let path = "\(root).alert_thresholds"
            for (metric, rule) in try reader.object(value, at: path, known: nil) {
                result.thresholds[metric] = try reader.thresholdRule(rule, at: "\(path).\(metric)")
            }
        }
        if let value = members["anomaly_detection"] {
            let path = "\(root).anomaly_detection"
            let detection = try reader.object(
                value, at: path,
                known: [
                    "performance_drop_threshold", "zscore_threshold", "window", "plateau_patience", "min_delta",
                    "spike_factor", "divergence_factor",
                ])
            if let v = detection["performance_drop_threshold"] {
                result.dropThreshold = try reader.positiveNumber(v, at: "\(path).performance_drop_threshold")
            }
            if let v = detection["zscore_threshold"] {
                result.zscoreThreshold = try reader.positiveNumber(v, at: "\(path).zscore_threshold")
            }
            if let v = detection["window"] {
                result.window = try reader.positiveInteger(v, at: "\(path).window", minimum: 5)
            }
            if let v = detection["plateau_patience"] {
                result.plateauPatience = try reader.positiveInteger(v, at: "\(path).plateau_patience", minimum: 1)
            }
            if let v = detection["min_delta"] {
                result.minDelta = try reader.nonNegativeNumber(v, at: "\(path).min_delta")
            }
            if let v = detection["spike_factor"] {
                result.spikeFactor = try reader.numberAbove(1, v, at: "\(path).spike_factor")
            }
            if let v = detection["divergence_factor"] {
                result.divergenceFactor = try reader.numberAbove(1, v, at: "\(path).divergence_factor")
            }
        }
        if let value = members["metrics"] {
            let path = "\(root).metrics"
            for (metric, settings) in try reader.object(value, at: path, known: nil) {
                let metricPath = "\(path).\(metric)"
                let fields = try reader.object(settings, at: metricPath, known: ["mode"])
                if let mode = fields["mode"] {
                    let text = try reader.string(mode, at: "\(metricPath).mode")
                    guard let direction = MetricDirection(rawValue: text) else {
                        throw ConfigurationError(
                            path: "\(metricPath).mode", expected: "\"min\" or \"max\"", got: JSONWriter.string(mode))
                    }
                    result.modes[metric] = direction
                }
            }
        }
        if let value = members["auto_recovery"] {
            let path = "\(root).auto_recovery"
            let recovery = try reader.object(
                value, at: path, known: ["enable", "strategies", "lr_factor", "max_rollbacks", "cooldown", "min_lr"])
            if let v = recovery["enable"] { result.recoveryEnabled = try reader.bool(v, at: "\(path).enable") }
            if let v = recovery["strategies"] {
                guard let names = v.arrayValue else {
                    throw ConfigurationError(
                        path: "\(path).strategies", expected: "a list of strategies", got: JSONWriter.string(v))
                }
                var strategies: Set<RecoveryStrategy> = []
                for (index, name) in names.enumerated() {
                    guard let text = name.stringValue, let strategy = RecoveryStrategy(rawValue: text) else {
                        throw ConfigurationError(
                            path: "\(path).strategies[\(index)]",
                            expected: "one of \(RecoveryStrategy.allCases.map(\.rawValue).joined(separator: ", "))",
                            got: JSONWriter.string(name))
                    }
                    strategies.insert(strategy)
                }
                result.strategies = strategies
            }
            if let v = recovery["lr_factor"] {
                let factor = try reader.positiveNumber(v, at: "\(path).lr_factor")
                guard factor < 1 else {
                    throw ConfigurationError(
                        path: "\(path).lr_factor", expected: "a number between 0 and 1", got: JSONWriter.string(v))
                }
                result.lrFactor = factor
            }
            if let v = recovery["max_rollbacks"] {
                result.maxRollbacks = try reader.positiveInteger(v, at: "\(path).max_rollbacks", minimum: 0)
            }
            if let v = recovery["cooldown"] {
                result.cooldown = try reader.positiveInteger(v, at: "\(path).cooldown", minimum: 0)
            }
            if let v = recovery["min_lr"] { result.minLR = try reader.nonNegativeNumber(v, at: "\(path).min_lr") }
        }
        // Checked here; AutomaticReports acts on it when the run finishes.
        if let value = members["reporting"] {
            let reporting = try reader.object(
                value, at: "\(root).reporting", known: ["auto_generate_reports", "output_dir", "data_dir"])
            if let v = reporting["auto_generate_reports"] {
                _ = try reader.bool(v, at: "\(root).reporting.auto_generate_reports")
            }
        }
        if let value = members["alerts"] {
            let path = "\(root).alerts"
            let alerts = try reader.object(
                value, at: path, known: ["slack_webhook", "webhook", "email", "min_severity"])
            if let v = alerts["slack_webhook"] { result.slackWebhook = try reader.url(v, at: "\(path).slack_webhook") }
            if let v = alerts["webhook"] { result.webhook = try reader.url(v, at: "\(path).webhook") }
            if let v = alerts["email"] { result.email = try Self.email(v, at: "\(path).email", reader: &reader) }
            if let v = alerts["min_severity"] {
                let text = try reader.string(v, at: "\(path).min_severity")
                guard let severity = AnomalySeverity(rawValue: text) else {
                    throw ConfigurationError(
                        path: "\(path).min_severity", expected: "info, warning, high or critical",
                        got: JSONWriter.string(v))
                }
                result.webhookSeverity = severity
            }
        }
        return (result, reader.warnings)
    }

    static func email(_ value: JSONValue, at path: String, reader: inout ConfigurationReader) throws(ConfigurationError)
        -> EmailAlertSettings
    {
        let email = try reader.object(value, at: path, known: EmailAlertSettings.keys)
        var recipients: [String] = []
        switch email["to"] {
        case .string(let one)?: recipients = [one]
        case .array(let many)?:
            for (index, element) in many.enumerated() {
                recipients.append(try reader.string(element, at: "\(path).to[\(index)]"))
            }
        default:
            throw ConfigurationError(
                path: "\(path).to", expected: "an address or a list of addresses",
                got: email["to"].map { JSONWriter.string($0) } ?? "nothing")
        }
        for (index, address) in recipients.enumerated() where !Self.looksLikeAddress(address) {
            throw ConfigurationError(path: "\(path).to[\(index)]", expected: "an email address", got: address)
        }
        guard !recipients.isEmpty else {
            throw ConfigurationError(path: "\(path).to", expected: "at least one address", got: "[]")
        }
        guard let fromValue = email["from"] else {
            throw ConfigurationError(path: "\(path).from", expected: "the sender's address", got: "nothing")
        }
        let from = try reader.string(fromValue, at: "\(path).from")
        guard Self.looksLikeAddress(from) else {
            throw ConfigurationError(path: "\(path).from", expected: "an email address", got: from)
        }
        guard let smtpValue = email["smtp"] else {
            throw ConfigurationError(path: "\(path).smtp", expected: "host:port of the SMTP server", got: "nothing")
        }
        let smtp = try reader.string(smtpValue, at: "\(path).smtp")
        guard let colon = smtp.lastIndex(of: ":"), let port = Int(smtp[smtp.index(after: colon)...]),
            (1...65535).contains(port), colon > smtp.startIndex
        else {
            throw ConfigurationError(
                path: "\(path).smtp", expected: "host:port, such as smtp.example.com:587", got: smtp)
        }
        var settings = EmailAlertSettings(
            to: recipients, from: from, host: String(smtp[..<colon]).trimmingCharacters(in: ["[", "]"]), port: port)
        if let v = email["starttls"] { settings.startTLS = try reader.bool(v, at: "\(path).starttls") }
        if let v = email["username_env"] {
            settings.usernameVariable = try reader.string(v, at: "\(path).username_env")
        }
        if let v = email["password_env"] {
            settings.passwordVariable = try reader.string(v, at: "\(path).password_env")
        }
        if let v = email["ca_file"] { settings.caFile = try reader.string(v, at: "\(path).ca_file") }
        if let v = email["dashboard_url"] { settings.dashboardURL = try reader.url(v, at: "\(path).dashboard_url") }
        return settings
    }

    /// Enough to catch a typo (a missing @, spaces, a line break that would forge a header).
    static func looksLikeAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty
            && !text.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," })
    }

    /// The direction of a metric: configured, else read from its name.
    public func direction(of metric: String) -> MetricDirection? {
        modes[metric] ?? MetricDirection.infer(from: metric)
    }
}

/// Typed reads of configuration values that fail with the key's path.
struct ConfigurationReader {
    var warnings: [String] = []

    private func fail(_ path: String, _ expected: String, _ value: JSONValue) -> ConfigurationError {
        ConfigurationError(path: path, expected: expected, got: JSONWriter.string(value))
    }

    mutating func object(_ value: JSONValue, at path: String, known: Set<String>?) throws(ConfigurationError)
        -> [String: JSONValue]
    {
        guard let object = value.objectValue else { throw fail(path, "a mapping", value) }
        var members: [String: JSONValue] = [:]
        for (key, member) in object {
            if let known, !known.contains(key) {
                warnings.append(
                    "\(path).\(key): unknown key, ignored (known: \(known.sorted().joined(separator: ", ")))")
                continue
            }
            members[key] = member
        }
        return members
    }

    func bool(_ value: JSONValue, at path: String) throws(ConfigurationError) -> Bool {
        guard let flag = value.boolValue else { throw fail(path, "true or false", value) }
        return flag
    }

    func string(_ value: JSONValue, at path: String) throws(ConfigurationError) -> String {
        guard let text = value.stringValue, !text.isEmpty else { throw fail(path, "a non-empty string", value) }
        return text
    }

    func url(_ value: JSONValue, at path: String) throws(ConfigurationError) -> String {
        let text = try string(value, at: path)
        guard text.hasPrefix("http://") || text.hasPrefix("https://") else {
            throw fail(path, "an http:// or https:// URL", value)
        }
        return text
    }

    func positiveNumber(_ value: JSONValue, at path: String) throws(ConfigurationError) -> Double {
        guard let number = value.doubleValue, number.isFinite, number > 0 else {
            throw fail(path, "a positive number", value)
        }
        return number
    }

    func nonNegativeNumber(_ value: JSONValue, at path: String) throws(ConfigurationError) -> Double {
        guard let number = value.doubleValue, number.isFinite, number >= 0 else {
            throw fail(path, "a non-negative number", value)
        }
        return number
    }

    func numberAbove(_ bound: Double, _ value: JSONValue, at path: String) throws(ConfigurationError) -> Double {
        guard let number = value.doubleValue, number.isFinite, number > bound else {
            throw fail(path, "a number above \(bound.formatted)", value)
        }
        return number
    }

    func positiveInteger(_ value: JSONValue, at path: String, minimum: Int) throws(ConfigurationError) -> Int {
        let expected =
            minimum > 0
            ? (minimum == 1 ? "a positive integer" : "an integer of at least \(minimum)") : "a non-negative integer"
        guard case .int(let number) = value, number >= minimum, number <= Int64(Int32.max) else {
            throw fail(path, expected, value)
        }
        return Int(number)
    }

    func thresholdRule(_ value: JSONValue, at path: String) throws(ConfigurationError)
        -> MonitorConfiguration.ThresholdRule
    {
        if let number = value.doubleValue, number.isFinite {
            return MonitorConfiguration.ThresholdRule(bound: number)
        }
        guard let object = value.objectValue else {
            throw fail(path, "a number or a mapping with min and/or max", value)
        }
        var rule = MonitorConfiguration.ThresholdRule()
        for (key, bound) in object {
            guard let number = bound.doubleValue, number.isFinite else {
                throw fail("\(path).\(key)", "a number", bound)
            }
            switch key {
            case "min": rule.minimum = number
            case "max": rule.maximum = number
            default: throw fail("\(path).\(key)", "min or max", .string(key))
            }
        }
        return rule
    }
}

extension Double {
    var formatted: String { self == rounded() && abs(self) < 1e15 ? String(Int64(self)) : String(self) }
}
