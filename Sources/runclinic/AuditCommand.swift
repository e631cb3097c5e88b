#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import RunclinicEngine
import RunclinicJSON

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit the images under a folder: unreadable, truncated, too small or large, blurry, dark, washed out, duplicates...",
        discussion: "Exits 0 whatever it finds; non-zero only when it could not run. Results are stored: a re-audit reads only changed files."
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "Folders or images.")
    var paths: [String]

    @Option(help: ArgumentHelp("Also write one JSON line per finding to this file.", valueName: "file"))
    var jsonl: String?

    @Option(help: ArgumentHelp("YAML with an `audit:` section of thresholds (min_resolution, blur_threshold, ...).", valueName: "file"))
    var config: String?

    @Option(parsing: .upToNextOption, help: "Only report these issues.")
    var checks: [String] = []

    @Flag(help: "Do not walk sub-folders.")
    var noRecursive = false

    func validate() throws {
        let known = Set(ImageIssue.allCases.map(\.rawValue))
        for check in checks where !known.contains(check) {
            throw ValidationError("--checks: unknown issue '\(check)' (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    func run() throws {
        var thresholds = ImageQualityThresholds()
        if let config {
            let document = try YAMLDocument.parse(try String(contentsOfFile: config, encoding: .utf8))
            do {
                thresholds = try ImageQualityThresholds.parse(document["audit"]?.objectValue, path: "audit")
            } catch {
                throw ValidationError("--config \(config): \(error)")
            }
        }
        let runStore = try RunStore(path: store.resolvedPath)
        defer { runStore.close() }
        let showProgress = isatty(STDERR_FILENO) == 1
        let auditor = DatasetAuditor(store: runStore, thresholds: thresholds,
                                     inspector: InspectionWorkerPool.selfExecuting())
        let summary = try auditor.run(
            paths: paths, recursive: !noRecursive,
            progress: { done, total in
                guard showProgress, done % 50 == 0 || done == total else { return }
                let width = 30
                let filled = total > 0 ? done * width / total : width
                FileHandle.standardError.write(Data("\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total)".utf8))
            })
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        let findings = summary.findings.filter { checks.isEmpty || checks.contains($0.issue.rawValue) }
        if let jsonl {
            var lines = ""
            for finding in findings {
                var line: JSONObject = ["path": .string(finding.path), "issue": .string(finding.issue.rawValue),
                                        "severity": .string(finding.severity.rawValue), "score": JSONValue(finding.score),
                                        "threshold": JSONValue(finding.threshold), "detail": .string(finding.detail)]
                if let group = finding.group { line["group"] = .string(group) }
                lines += JSONWriter.string(.object(line)) + "\n"
            }
            try lines.write(toFile: jsonl, atomically: true, encoding: .utf8)
        }
        var rows: [[String]] = []
        for issue in ImageIssue.allCases {
            let matching = findings.filter { $0.issue == issue }
            guard !matching.isEmpty else { continue }
            rows.append([issue.rawValue, "\(matching.count)", matching[0].path])
        }
        print("audit \(summary.auditID): \(summary.images) images (\(summary.reused) unchanged since the last audit) in \(String(format: "%.2f", summary.seconds)) s")
        if !summary.skipped.isEmpty { print("skipped \(summary.skipped.count) files that are not images") }
        for folder in summary.unreadableFolders { print("could not read folder \(folder)") }
        print(rows.isEmpty ? "no findings" : TextTable.render(header: ["ISSUE", "IMAGES", "FOR EXAMPLE"], rows: rows))
    }
}
