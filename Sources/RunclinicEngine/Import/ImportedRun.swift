import RunclinicJSON

/// A run read from another tool's files, before it is stored: identity in its source, config,
/// and every logged point.
public struct ImportedRun: Sendable {
    public var format: ImportFormat
    /// The run's own file or folder (or the MLflow store holding it); with `sourceRunID` it keys
    /// re-imports, so importing the same source again updates the run.
    public var sourcePath: String
    /// The source's id of the run (wandb run id, MLflow run uuid); "" when the format has none.
    public var sourceRunID: String
    public var name: String
    public var project: String?
    public var config: JSONValue?
    /// The tracker's own summary of the run (wandb's), kept apart from the config: its values are
    /// outcomes, not hyperparameters.
    public var summary: JSONValue?
    public var tags: [String] = []
    public var status: RunStatus = .finished
    public var startedAt: Double?
    public var endedAt: Double?
    public var metrics = ImportedMetrics()
    /// Set when only part of the source could be read (a live run's torn tail): what was kept.
    public var partial: String?

    init(format: ImportFormat, sourcePath: String, sourceRunID: String, name: String) {
        self.format = format
        self.sourcePath = sourcePath
        self.sourceRunID = sourceRunID
        self.name = name
    }
}
