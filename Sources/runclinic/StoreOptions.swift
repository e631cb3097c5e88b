import ArgumentParser
import Foundation
import RunclinicEngine

/// Where the SQLite store lives: --db, else $RUNCLINIC_DB, else runclinic.db here.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: ArgumentHelp("SQLite database file (default: $RUNCLINIC_DB, else ./runclinic.db).", valueName: "path"))
    var databasePath: String?

    var resolvedPath: String {
        if let databasePath { return databasePath }
        if let fromEnvironment = ProcessInfo.processInfo.environment["RUNCLINIC_DB"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "runclinic.db"
    }

    /// The store, which must exist already: a command that reads it never creates one by mistake.
    func openExisting() throws -> RunStore {
        guard FileManager.default.fileExists(atPath: resolvedPath) else {
            throw RuntimeFailure("no store at \(resolvedPath) (give --db or set RUNCLINIC_DB)")
        }
        do {
            return try RunStore(path: resolvedPath)
        } catch {
            throw RuntimeFailure("cannot open the store \(resolvedPath): \(error)")
        }
    }
}
