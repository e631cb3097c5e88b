import Foundation
import RunclinicJSON

/// The handbook's `reporting` section of a run's config: with `auto_generate_reports: true`,
/// finishing the run writes its analysis reports (to `output_dir`, by default `reports/<run>`
/// beside the store; images under `data_dir`).
public struct AutomaticReports: Sendable {
    public let outputDirectory: String
    public let dataDirectory: String?

    /// Nil when the run's config does not ask for reports. Reports go beside a SQLite store's file,
    /// or under the working directory for a PostgreSQL store.
    public init?(config: JSONValue?, runName: String, store: StoreLocation) {
        // At the config's top level, or (as the handbook's monitoring section shows it) inside
        // `experiment_monitoring`.
        guard let section = config?["reporting"] ?? config?["experiment_monitoring"]?["reporting"],
            section["auto_generate_reports"]?.boolValue == true
        else {
            return nil
        }
        let directory: String
        switch store {
        case .sqlite(let path): directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        case .postgresql: directory = FileManager.default.currentDirectoryPath
        }
        let beside = (directory as NSString).appendingPathComponent("reports")
        outputDirectory =
            section["output_dir"]?.stringValue
            ?? (beside as NSString).appendingPathComponent(AnalysisReportWriter.fileStem(runName))
        dataDirectory = section["data_dir"]?.stringValue
    }

    /// Analyses the run and writes every report format; the paths written, by format.
    public func write(run: RunReference, analyzer: RunAnalyzer) throws -> [AnalysisReportWriter.Format: String] {
        let analysis = try analyzer.analyze(run: run, dataDirectory: dataDirectory)
        return try AnalysisReportWriter(directory: outputDirectory, analyzer: analyzer).write(analysis)
    }
}
