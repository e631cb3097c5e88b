import ArgumentParser
import Foundation
import RunclinicEngine
import RunclinicJSON

struct HparamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hparams",
        abstract:
            "Which hyperparameters go with a project's outcomes: correlations of numeric ones, effect sizes of categorical ones."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "The project whose runs are analysed.")
    var project: String

    @Option(help: "The outcome: each run's best value of this metric.")
    var metric: String

    @Option(help: "max or min: which way is better (default: read from the metric's name).")
    var mode: MetricDirection?

    @Option(help: "Fewer runs than this: a message instead of numbers.")
    var minRuns = 5

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        guard minRuns >= 3 else { throw ValidationError("--min-runs must be at least 3") }
        let runStore = try store.openExisting()
        defer { runStore.close() }
        let impact = try HyperparameterAnalyzer(store: runStore).analyze(
            project: project, metric: metric, direction: mode, minimumRuns: minRuns)
        if json {
            print(JSONWriter.string(impact.json, pretty: true))
            return
        }
        if let message = impact.message {
            print(message)
            return
        }
        let correlation = { (value: (r: Double, p: Double)?) -> String in
            value.map { String(format: "%.2f (p %@)", $0.r, $0.p.displayValue) } ?? "-"
        }
        print(
            "\(impact.runs) runs of \(impact.project), outcome: best \(impact.metric) (\(impact.direction == .max ? "higher" : "lower") is better)"
        )
        if !impact.importance.isEmpty {
            print(
                TextTable.render(
                    header: ["IMPORTANCE", "SHARE OF VARIANCE"],
                    rows: impact.importance.map { [$0.key, String(format: "%.2f", $0.share)] }
                        + [["(interactions)", String(format: "%.2f", impact.interactionShare ?? 0)]]))
            print("")
        }
        if !impact.numeric.isEmpty {
            print(
                TextTable.render(
                    header: ["NUMERIC", "RUNS", "SPEARMAN", "PEARSON", "SPEARMAN WITH DROP", "PEARSON WITH DROP"],
                    rows: impact.numeric.map {
                        [
                            $0.key, "\($0.runs)", correlation($0.spearman), correlation($0.pearson),
                            correlation($0.spearmanWithDrop), correlation($0.pearsonWithDrop),
                        ]
                    }))
        }
        for entry in impact.categorical {
            print("")
            print(
                "\(entry.key): eta² \(String(format: "%.2f", entry.etaSquared))\(entry.mixedTypes ? " (mixed types, compared as text)" : "")"
            )
            print(
                TextTable.render(
                    header: ["VALUE", "RUNS", "MEAN BEST", "WITH ANOMALIES"],
                    rows: entry.levels.map {
                        [$0.value, "\($0.runs)", $0.meanBest.displayValue, "\(Int((100 * $0.anomalyRate).rounded()))%"]
                    }))
        }
        for (key, reason) in impact.excluded { print("left out \(key): \(reason)") }
    }
}
