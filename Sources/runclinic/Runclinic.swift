import ArgumentParser
import RunclinicService
import RunclinicText

@main
struct Runclinic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runclinic",
        abstract: "Watches training runs, explains what went wrong, and says what to do about it.",
        discussion:
            "Start with `runclinic serve`: a JSON-RPC 2.0 server over stdio or a Unix socket that a training loop logs to.",
        version: RunclinicService.version,
        subcommands: [
            ServeCommand.self, RunsCommand.self, CallCommand.self, AuditCommand.self, AnalyzeCommand.self,
            CompareCommand.self, HparamsCommand.self, ImportCommand.self, ExportCommand.self, UICommand.self,
            MCPCommand.self, MigrateCommand.self,
            InspectWorkerCommand.self,
        ]
    )

    /// A mistyped command gets the one it most likely meant, before the parser's own error.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let commands = configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
        if let typed = arguments.first, !typed.hasPrefix("-"), !commands.contains(typed) {
            let suggestion = ClosestName.closest(to: typed, among: commands).map { " (did you mean \($0)?)" } ?? ""
            exit(withError: ValidationError("unknown command '\(typed)'\(suggestion)"))
        }
        main(arguments)
    }
}
