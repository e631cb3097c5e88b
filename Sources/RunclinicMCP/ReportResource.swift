import Foundation
import RunclinicJSON

/// A run's analysis report as an MCP resource: `runclinic://runs/ID/report.md`, written by
/// `analyze.run` into a temporary folder when it is read.
enum ReportResource {
    static func uri(runID: Int64) -> String { "runclinic://runs/\(runID)/report.md" }

    static func runID(in uri: String) -> Int64? {
        let prefix = "runclinic://runs/"
        let suffix = "/report.md"
        guard uri.hasPrefix(prefix), uri.hasSuffix(suffix) else { return nil }
        return Int64(uri.dropFirst(prefix.count).dropLast(suffix.count))
    }

    static func markdown(runID: Int64, invoke: MCPServer.Invoke) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("runclinic-mcp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try invoke(
            "analyze.run", ["run": .int(runID), "output_dir": .string(folder.path), "formats": ["md"]])
        guard let path = result["reports"]?["md"]?.stringValue else {
            throw ReportError(description: "the analysis of run \(runID) wrote no markdown report")
        }
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    struct ReportError: Error, CustomStringConvertible {
        let description: String
    }
}
