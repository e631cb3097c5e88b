/// Where a run is in its life. Only a running run takes new data.
public enum RunStatus: String, Sendable, CaseIterable {
    case running, finished, failed, killed

    /// The statuses `run.finish` may set.
    public static let endings: [RunStatus] = [.finished, .failed, .killed]
}
