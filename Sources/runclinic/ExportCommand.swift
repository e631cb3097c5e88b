import ArgumentParser
import Foundation
import RunclinicEngine

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's metrics out as CSV or JSON lines (one row per step), for other tools.",
        discussion:
            "With --output FILE the run's config is written beside it as <stem>.hparams.yaml; `runclinic import` reads both back."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The run's name or id.")
    var runName: String

    @Option(help: "The run's project (when its name is not unique).")
    var project: String?

    @Option(help: "The table format to write.")
    var format: RunExporter.Format

    @Option(help: ArgumentHelp("Write here instead of to stdout.", valueName: "file"))
    var output: String?

    func run() throws {
        let runStore = try store.openExisting()
        defer { runStore.close() }
        let exporter = RunExporter(store: runStore)
        let reference: RunReference = Int64(runName).map { .id($0) } ?? .name(runName, project: project)
        let table = try exporter.table(reference, format: format)
        if let output {
            let configPath = try exporter.write(table, to: output)
            FileHandle.standardError.write(
                Data(
                    "wrote \(table.rows) rows (\(table.points) points) to \(output)\(configPath.map { ", config to \($0)" } ?? "")\n"
                        .utf8))
        } else {
            FileHandle.standardOutput.write(Data(table.text.utf8))
        }
    }
}

extension RunExporter.Format: ExpressibleByArgument {}
