import Foundation

/// Test fixtures live in Tests/Fixtures, found from this file's path so they work in any clone.
enum FixturePaths {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
}
