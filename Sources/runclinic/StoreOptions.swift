import ArgumentParser
import Foundation

/// Where the SQLite store lives: --db, else $RUNCLINIC_DB, else runclinic.db here.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp("SQLite database file (default: $RUNCLINIC_DB, else ./runclinic.db).", valueName: "path"))
    var databasePath: String?

    var resolvedPath: String {
        if let databasePath { return databasePath }
        if let fromEnvironment = ProcessInfo.processInfo.environment["RUNCLINIC_DB"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "runclinic.db"
    }
}
