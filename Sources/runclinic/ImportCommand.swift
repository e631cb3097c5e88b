import ArgumentParser
import Foundation
import Logging
import RunclinicEngine
import RunclinicJSON

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract:
            "Import runs logged by TensorBoard, MLflow, wandb (offline), Lightning's CSVLogger or as CSV/JSON lines.",
        discussion: """
            PATH may be a file or a folder; a folder is searched for every run it holds. Importing the same source again \
            updates its run. Then `runclinic analyze NAME` or `runclinic compare NAME NAME...` work on the imported runs.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var logging: LoggingOptions

    @Argument(help: "A log file or a folder of runs.")
    var path: String

    @Option(help: "The format to read (auto: found from each file).")
    var format: ImportFormat = .auto

    @Option(help: "Store the runs in this project (default: the source's project or experiment, else \"default\").")
    var project: String?

    @Option(help: "Name the run (when PATH holds one run).")
    var name: String?

    @Option(
        help: ArgumentHelp(
            "Monitoring settings the imported histories are judged by (as `serve --config`); a run's own config wins.",
            valueName: "file"))
    var config: String?

    @Flag(help: "Print the imported runs as JSON.")
    var json = false

    func run() throws {
        logging.bootstrap()
        let defaults = try ServeCommand.loadConfiguration(config, logger: Logger(label: "runclinic.import"))
        let runStore = try RunStore(location: store.resolvedPath)
        defer { runStore.close() }
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1 && !json)
        let outcomes = try RunImporter(store: runStore, monitorDefaults: defaults.monitor).importRuns(
            path: path, format: format, project: project, name: name,
            progress: { done, total, _ in bar.show(done: done, total: total) })
        bar.finish()
        let runs = outcomes.compactMap(\.imported)
        let failures = outcomes.compactMap(\.failure)
        if json {
            print(
                JSONWriter.string(
                    .array(
                        runs.map { summary in
                            [
                                "name": .string(summary.run.name), "project": .string(summary.run.project),
                                "run_id": .int(summary.run.id),
                                "format": .string(summary.format.rawValue), "source": .string(summary.source),
                                "created": .bool(summary.created),
                                "points": .int(Int64(summary.points)), "partial": JSONValue(summary.partial),
                            ]
                        }), pretty: true))
        } else {
            for summary in runs {
                print(
                    "\(summary.created ? "imported" : "updated ") \(summary.run.project)/\(summary.run.name): \(summary.format.rawValue), \(summary.points) points of \(summary.metrics.count) metrics, \(summary.run.status.rawValue)"
                )
                if let partial = summary.partial { print("  partial: \(partial)") }
            }
        }
        for failure in failures { FileHandle.standardError.write(Data("error: \(failure)\n".utf8)) }
        if !failures.isEmpty { throw ExitCode(1) }
    }
}

extension ImportFormat: ExpressibleByArgument {}

/// A one-line bar on a terminal's stderr, redrawn in place.
private final class ProgressBar {
    let enabled: Bool

    init(enabled: Bool) { self.enabled = enabled }

    func show(done: Int, total: Int) {
        guard enabled, total > 1 else { return }
        let width = 30
        let filled = done * width / total
        let line =
            "\r[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            + "] \(done)/\(total) runs"
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
