import ArgumentParser
import Foundation
import RunclinicEngine

/// Where the store lives: --db, else $RUNCLINIC_DB, else runclinic.db here. A path is a SQLite
/// file; a `postgresql://user@host:port/dbname` connection string is a PostgreSQL database.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("db"),
        help: ArgumentHelp(
            "SQLite database file, or postgresql://user@host:port/dbname (default: $RUNCLINIC_DB, else ./runclinic.db).",
            valueName: "path|url"))
    var databasePath: String?

    var resolvedPath: String {
        if let databasePath { return databasePath }
        if let fromEnvironment = ProcessInfo.processInfo.environment["RUNCLINIC_DB"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        return "runclinic.db"
    }

    /// The store as logs and errors may show it: a connection string loses its password.
    var shownLocation: String { StoreLocation(resolvedPath).description }

    /// The store, which must exist already: a command that reads it never creates one by mistake
    /// (a PostgreSQL database exists if it can be connected to).
    func openExisting() throws -> RunStore {
        if case .sqlite(let path) = StoreLocation(resolvedPath), !FileManager.default.fileExists(atPath: path) {
            throw RuntimeFailure("no store at \(path) (give --db or set RUNCLINIC_DB)")
        }
        do {
            return try RunStore(location: resolvedPath)
        } catch {
            throw RuntimeFailure("cannot open the store \(shownLocation): \(error)")
        }
    }
}
