import Foundation

@testable import RunclinicEngine

/// A store in a fresh temporary directory, removed afterwards.
final class TemporaryStore {
    let directory: URL
    let store: RunStore
    var path: String { directory.appendingPathComponent("runs.db").path }

    init(commitWindow: Double = 0.05) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "runclinic-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try RunStore(location: directory.appendingPathComponent("runs.db").path, commitWindow: commitWindow)
    }

    /// A second, independent connection: sees only what is committed.
    func countCommittedPoints() throws -> Int {
        let connection = try SQLiteConnection(path: path)
        return Int(try connection.scalarText("SELECT COUNT(*) FROM metric_points") ?? "0") ?? 0
    }

    deinit {
        store.close()
        try? FileManager.default.removeItem(at: directory)
    }
}
