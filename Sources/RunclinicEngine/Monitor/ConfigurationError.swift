/// A configuration value that cannot be used: the path of the key and what was expected, e.g.
/// `experiment_monitoring.anomaly_detection.window: expected a positive integer, got "ten"`.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let expected: String
    public let got: String

    public var description: String { "\(path): expected \(expected), got \(got)" }
}
