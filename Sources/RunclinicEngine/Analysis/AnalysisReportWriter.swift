import Foundation
import RunclinicJSON

/// Writes an analysis's reports into a folder: `<run>_summary.json` (the handbook's experiment
/// summary). Markdown and HTML follow (issue 5).
public struct AnalysisReportWriter: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case json
    }

    public let directory: String

    public init(directory: String) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
    }

    /// The paths written, by format.
    public func write(_ analysis: RunAnalysis, formats: [Format] = Format.allCases) throws -> [Format: String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw EngineError.invalidArgument(field: "output_dir", reason: "cannot create \(directory): \(error.localizedDescription)")
        }
        var written: [Format: String] = [:]
        let stem = Self.fileStem(analysis.run.name)
        for format in formats {
            switch format {
            case .json:
                let path = (directory as NSString).appendingPathComponent("\(stem)_summary.json")
                try write(JSONWriter.string(analysis.summaryJSON, pretty: true) + "\n", to: path)
                written[.json] = path
            }
        }
        return written
    }

    func write(_ text: String, to path: String) throws {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw EngineError.invalidArgument(field: "output_dir", reason: "cannot write \(path): \(error.localizedDescription)")
        }
    }

    /// A run name made safe as a file name.
    static func fileStem(_ name: String) -> String {
        let safe = name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }
        return safe.isEmpty ? "run" : String(safe)
    }
}
