import ArgumentParser
import Foundation
import RunclinicEngine
import RunclinicJSON

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract:
            "Compare runs side by side: how each did, the config keys that differ, and whether the best is better beyond noise.",
        discussion:
            "Runs whose configs differ only in their seed are compared as a group (mean, spread, Welch's t-test)."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "Run names or ids (two or more).")
    var runs: [String]

    @Option(help: "The runs' project (when names are not unique).")
    var project: String?

    @Option(help: "The metric to compare on (default: the first validation metric with a known direction).")
    var metric: String?

    @Option(help: "max or min: which way is better (default: read from the metric's name).")
    var mode: MetricDirection?

    @Option(help: ArgumentHelp("Write the reports (markdown with its chart, HTML, JSON) here.", valueName: "dir"))
    var outputDir: String?

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        let runStore = try store.openExisting()
        defer { runStore.close() }
        let references = runs.map { name in Int64(name).map { RunReference.id($0) } ?? .name(name, project: project) }
        let comparison = try RunComparator(store: runStore).compare(runs: references, metric: metric, direction: mode)
        let reports = try outputDir.map { try ComparisonReportWriter(directory: $0).write(comparison) } ?? [:]
        if json {
            print(JSONWriter.string(comparison.json, pretty: true))
            return
        }
        let number = { (value: Double?) -> String in value.map(\.displayValue) ?? "-" }
        print("\(comparison.metric) (\(comparison.direction == .max ? "higher" : "lower") is better)")
        print(
            TextTable.render(
                header: ["RUN", "BEST", "AT STEP", "FINAL", "DROP", "AUC", "VOLATILITY", "ANOMALIES"],
                rows: comparison.outcomes.map { outcome in
                    [
                        outcome.run.name, number(outcome.best), outcome.bestStep.map(String.init) ?? "-",
                        number(outcome.final),
                        number(outcome.dropFromBest), number(outcome.areaUnderCurve), number(outcome.volatility),
                        "\(outcome.anomalies.values.reduce(0, +))",
                    ]
                }))
        if !comparison.differences.isEmpty {
            print("")
            print(
                TextTable.render(
                    header: ["CONFIG KEY"] + comparison.outcomes.map(\.run.name),
                    rows: comparison.differences.map { difference in
                        [difference.key + (difference.typeChanged ? " (type differs)" : "")]
                            + difference.values.map { $0.map(JSONWriter.string) ?? "(missing)" }
                    }))
        }
        print("")
        for advice in comparison.recommendations { print(advice) }
        for (format, path) in reports.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            print("\(format.rawValue) report: \(path)")
        }
    }
}
