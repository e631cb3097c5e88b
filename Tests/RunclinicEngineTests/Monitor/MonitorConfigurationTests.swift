import RunclinicJSON
import Testing

@testable import RunclinicEngine

@Suite struct MonitorConfigurationTests {
    static let handbook = """
        experiment_monitoring:
          enable_real_time_analysis: true
          primary_metric: val/hmean
          alert_thresholds: {val/recall: 0.75, train/loss: {max: 5}}
          anomaly_detection:
            performance_drop_threshold: 0.05
            zscore_threshold: 3.0
            window: 30
            plateau_patience: 10
          metrics: {val/cer: {mode: min}}
          auto_recovery:
            enable: true
            strategies: [rollback_on_severe_drop, adjust_lr_on_plateau]
            lr_factor: 0.5
            max_rollbacks: 3
          reporting: {auto_generate_reports: true}
          alerts:
            slack_webhook: https://hooks.slack.com/services/x
        """

    @Test func readsTheHandbooksYAML() throws {
        let (configuration, warnings) = try MonitorConfiguration.parse(try YAMLDocument.parse(Self.handbook))
        #expect(warnings.isEmpty)
        #expect(configuration.primaryMetric == "val/hmean")
        #expect(configuration.thresholds["val/recall"]?.bound == 0.75)
        #expect(configuration.thresholds["train/loss"]?.maximum == 5)
        #expect(configuration.direction(of: "val/cer") == .min)
        #expect(configuration.strategies == [.rollbackOnSevereDrop, .adjustLROnPlateau])
        #expect(configuration.slackWebhook == "https://hooks.slack.com/services/x")
    }

    @Test func inlineSettingsOverrideTheBase() throws {
        let base = try MonitorConfiguration.parse(try YAMLDocument.parse(Self.handbook)).configuration
        let inline: JSONValue = ["experiment_monitoring": ["anomaly_detection": ["window": 50]]]
        let merged = try MonitorConfiguration.parse(inline, base: base).configuration
        #expect(merged.window == 50 && merged.primaryMetric == "val/hmean" && merged.plateauPatience == 10)
    }

    @Test(arguments: [
        (
            #"{"experiment_monitoring": {"anomaly_detection": {"window": "ten"}}}"#,
            #"experiment_monitoring.anomaly_detection.window: expected an integer of at least 5, got "ten""#
        ),
        (
            #"{"experiment_monitoring": {"auto_recovery": {"lr_factor": 2}}}"#,
            "experiment_monitoring.auto_recovery.lr_factor: expected a number between 0 and 1, got 2"
        ),
        (
            #"{"experiment_monitoring": {"metrics": {"val/x": {"mode": "up"}}}}"#,
            #"experiment_monitoring.metrics.val/x.mode: expected "min" or "max", got "up""#
        ),
        (
            #"{"experiment_monitoring": {"alerts": {"webhook": "ftp://x"}}}"#,
            #"experiment_monitoring.alerts.webhook: expected an http:// or https:// URL, got "ftp://x""#
        ),
        (#"{"experiment_monitoring": []}"#, "experiment_monitoring: expected a mapping, got []"),
    ])
    func badValuesNameTheirPath(_ text: String, _ message: String) throws {
        #expect(throws: ConfigurationError.self) { try MonitorConfiguration.parse(try JSONParser.parse(text)) }
        do {
            _ = try MonitorConfiguration.parse(try JSONParser.parse(text))
        } catch let error as ConfigurationError {
            #expect(error.description == message)
        }
    }

    @Test func unknownKeysWarn() throws {
        let (_, warnings) = try MonitorConfiguration.parse(["experiment_monitoring": ["anomaly_detectoin": [:]]])
        #expect(warnings.count == 1 && warnings[0].hasPrefix("experiment_monitoring.anomaly_detectoin: unknown key"))
    }

    @Test func yamlScalarsFollowTheCoreSchema() throws {
        let value = try YAMLDocument.parse("a: .nan\nb: -.inf\nc: '1'\nd: 1\ne: 1.5\nf: null\ng: yes\n")
        #expect(value["a"]?.doubleValue?.isNaN == true)
        #expect(value["b"] == .double(-.infinity))
        #expect(value["c"] == .string("1") && value["d"] == .int(1) && value["e"] == .double(1.5))
        #expect(value["f"] == .null && value["g"] == .string("yes"))
    }
}
