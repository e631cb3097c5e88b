import ArgumentParser
import RunclinicService

@main
struct Runclinic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runclinic",
        abstract: "Watches training runs, explains what went wrong, and says what to do about it.",
        discussion: "Start with `runclinic serve`: a JSON-RPC 2.0 server over stdio or a Unix socket that a training loop logs to.",
        version: RunclinicService.version,
        subcommands: [ServeCommand.self, RunsCommand.self, CallCommand.self, AuditCommand.self, AnalyzeCommand.self, CompareCommand.self, HparamsCommand.self, ImportCommand.self, ExportCommand.self, InspectWorkerCommand.self]
    )
}
