import ArgumentParser
import Foundation
import RunclinicEngine
import RunclinicJSON

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract:
            "Copy every run and audit of one store into another (a local SQLite file into the team's PostgreSQL).",
        discussion: """
            Runs keep their project, name, config, status, points (NaN and infinities exactly), validation batches, \
            checkpoints, anomalies, actions and alert deliveries; audits keep their findings and images. Running it \
            again replaces what the last run copied (nothing is copied twice). A run whose name the target's project \
            already uses for another run is copied as NAME-2. Passwords in connection strings are never printed.
            """
    )

    @Option(help: ArgumentHelp("The store to copy: a SQLite file or a postgresql:// URL.", valueName: "path|url"))
    var from: String

    @Option(help: ArgumentHelp("The store to copy into (made if new).", valueName: "path|url"))
    var to: String

    @OptionGroup var logging: LoggingOptions

    @Flag(help: "Print what was copied as JSON.")
    var json = false

    func run() throws {
        logging.bootstrap()
        let source = StoreLocation(from)
        let target = StoreLocation(to)
        if case .sqlite(let path) = source, !FileManager.default.fileExists(atPath: path) {
            throw RuntimeFailure("no store at \(path)")
        }
        guard source != target else { throw RuntimeFailure("--from and --to are the same store") }
        let sourceStore: RunStore
        let targetStore: RunStore
        do {
            sourceStore = try RunStore(location: from)
        } catch {
            throw RuntimeFailure("cannot open the store \(source): \(error)")
        }
        defer { sourceStore.close() }
        do {
            targetStore = try RunStore(location: to)
        } catch {
            throw RuntimeFailure("cannot open the store \(target): \(error)")
        }
        defer { targetStore.close() }
        let started = Date()
        let summary: StoreCopySummary
        do {
            summary = try targetStore.copy(from: sourceStore)
        } catch {
            throw RuntimeFailure("copying \(source) into \(target) failed: \(error)")
        }
        let seconds = Date().timeIntervalSince(started)
        if json {
            print(
                JSONWriter.string(
                    [
                        "from": .string(source.description), "to": .string(target.description),
                        "runs": .int(Int64(summary.runsCopied)), "runs_replaced": .int(Int64(summary.runsReplaced)),
                        "points": .int(Int64(summary.points)),
                        "rows": .object(
                            JSONObject(
                                summary.rows.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int(Int64($0.value))) }
                            )),
                        "audits": .int(Int64(summary.auditsCopied)),
                        "audits_replaced": .int(Int64(summary.auditsReplaced)),
                        "renamed": .array(summary.renamed.map { ["from": .string($0.from), "to": .string($0.to)] }),
                        "seconds": .double(seconds),
                    ], pretty: true))
            return
        }
        let replaced = summary.runsReplaced > 0 ? " (\(summary.runsReplaced) copied before, replaced)" : ""
        print("copied \(summary.runsCopied) runs\(replaced) and \(summary.points) points from \(source) into \(target)")
        let rows = summary.rows.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        if !rows.isEmpty { print("  rows: " + rows.map { "\($0.value) \($0.key)" }.joined(separator: ", ")) }
        if summary.auditsCopied > 0 { print("  audits: \(summary.auditsCopied)") }
        for rename in summary.renamed { print("  \(rename.from) is \(rename.to) here: the name was taken") }
        print(String(format: "  in %.1f s", seconds))
    }
}
