import ArgumentParser
import Foundation
import RunclinicEngine
import RunclinicJSON

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract:
            "Explain a run: anomalies, change points, and the root cause of each drop, down to validation batches and images.",
        discussion:
            "Validation batches' images are joined to audits; images no audit covered are audited now (found under --data-dir, or at their absolute paths)."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var logging: LoggingOptions

    @Argument(help: "The run's name or id.")
    var runName: String

    @Option(help: "The run's project (when its name is not unique).")
    var project: String?

    @Option(help: ArgumentHelp("Where the images named in validation batches live.", valueName: "dir"))
    var dataDir: String?

    @Option(help: ArgumentHelp("Write the reports here.", valueName: "dir"))
    var outputDir: String?

    @Option(help: ArgumentHelp("Report formats, comma-separated: md, html, json.", valueName: "list"))
    var format = "md,html,json"

    @Flag(help: "Print the whole summary as JSON instead of the key finding.")
    var json = false

    func run() throws {
        logging.bootstrap()
        let formats = try format.split(separator: ",").map { name in
            guard let format = AnalysisReportWriter.Format(rawValue: String(name)) else {
                throw ValidationError(
                    "--format: unknown format '\(name)' (available: \(AnalysisReportWriter.Format.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
            return format
        }
        let runStore = try store.openExisting()
        defer { runStore.close() }
        let reference: RunReference = Int64(runName).map { .id($0) } ?? .name(runName, project: project)
        let analyzer = RunAnalyzer(store: runStore, inspector: InspectionWorkerPool.selfExecuting())
        let analysis = try analyzer.analyze(run: reference, dataDirectory: dataDir)
        let reports =
            try outputDir.map {
                try AnalysisReportWriter(directory: $0, analyzer: analyzer).write(analysis, formats: formats)
            } ?? [:]
        if json {
            print(JSONWriter.string(analysis.summaryJSON, pretty: true))
            return
        }
        print(analysis.keyFinding)
        if let top = analysis.explanations.first?.hypotheses.first {
            print(
                "cause: \(top.cause.rawValue)\(top.defect.map { " (\($0))" } ?? "") — confidence \(String(format: "%.2f", top.confidence))"
            )
            for line in top.evidence.dropFirst() { print("  - \(line)") }
        }
        for advice in analysis.recommendations { print("recommendation: \(advice)") }
        for (format, path) in reports.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            print("\(format.rawValue) report: \(path)")
        }
    }
}
