import ArgumentParser
import Foundation
import RunclinicEngine
import RunclinicJSON

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs in the store."
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "Only runs of this project.")
    var project: String?

    @Option(help: "Only runs with this status (running, finished, failed, killed).")
    var status: String?

    @Option(help: "At most this many runs, newest first.")
    var limit: Int?

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        let statusFilter: RunStatus?
        if let status {
            guard let parsed = RunStatus(rawValue: status) else {
                throw ValidationError(
                    "--status must be one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            statusFilter = parsed
        } else {
            statusFilter = nil
        }
        let runStore = try store.openExisting()
        defer { runStore.close() }
        let runs = try runStore.listRuns(project: project, status: statusFilter, limit: limit)
        var rows: [(RunRecord, RunDetails)] = []
        for run in runs { rows.append((run, try runStore.runDetails(.id(run.id)))) }
        if json {
            let array: [JSONValue] = rows.map { run, details in
                [
                    "run_id": .int(run.id), "project": .string(run.project), "name": .string(run.name),
                    "status": .string(run.status.rawValue), "last_step": JSONValue(details.lastStep),
                    "points": .int(Int64(details.pointCount)), "batches": .int(Int64(details.batchCount)),
                    "started_at": .double(run.startedAt),
                ]
            }
            print(JSONWriter.string(.array(array)))
            return
        }
        let header = ["ID", "PROJECT", "NAME", "STATUS", "LAST STEP", "POINTS", "BATCHES"]
        let table = rows.map { run, details in
            [
                "\(run.id)", run.project, run.name, run.status.rawValue, details.lastStep.map { "\($0)" } ?? "-",
                "\(details.pointCount)", "\(details.batchCount)",
            ]
        }
        print(TextTable.render(header: header, rows: table))
    }
}
