/// Runs side by side: how each did, what differs in their configs, which group of runs is best
/// and whether that is more than noise.
public struct RunComparison: Sendable {
    /// Runs whose configs are the same but for their seed, compared as one.
    public struct Group: Sendable {
        public let runs: [String]
        /// The config values this group shares on the keys that differ between groups.
        public let settings: [(key: String, value: String)]
        public let mean: Double
        public let deviation: Double
        /// The 95% confidence interval of the mean (t-based; nil for a single run).
        public let interval: (low: Double, high: Double)?
    }

    public struct Significance: Sendable {
        public let t: Double
        public let degrees: Double
        public let p: Double
        public var isSignificant: Bool { p < 0.05 }
    }

    public let metric: String
    public let direction: MetricDirection
    public let outcomes: [RunOutcome]
    public let differences: [ConfigDifference]
    /// Best first (by the group mean of each run's best value).
    public let groups: [Group]
    /// Welch's test between the best group and the runner-up, when both have two runs or more.
    public let significance: Significance?
    /// Config keys that go with the outcome: the share of the outcome's variance between the
    /// values of each key (eta squared), largest first.
    public let keyDifferences: [(key: String, share: Double)]
    public internal(set) var recommendations: [String]
    /// Each run's series of the metric, in the runs' order (the reports overlay them).
    public var curves: [(name: String, series: MetricSeries)] = []
}
