import ArgumentParser
import Foundation
import RunclinicEngine
import RunclinicJSON

#if canImport(Glibc)
    import Glibc
#endif

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract:
            "Audit the images under a folder: unreadable, truncated, too small or large, blurry, dark, washed out, duplicates...",
        discussion:
            "Exits 0 whatever it finds, unless --fail-on names a severity a finding reaches (then 2); 1 when it could not run. Results are stored: a re-audit reads only changed files."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var logging: LoggingOptions

    @Argument(help: "Folders or images.")
    var paths: [String]

    @Option(help: ArgumentHelp("Also write one JSON line per finding to this file.", valueName: "file"))
    var jsonl: String?

    @Option(
        help: ArgumentHelp(
            "Also write a self-contained HTML gallery of the findings (colour thumbnails with score, threshold and path; duplicate groups side by side) into this folder.",
            valueName: "dir"))
    var report: String?

    @Option(
        help: ArgumentHelp(
            "YAML with an `audit:` section of thresholds (min_resolution, blur_threshold, ...).", valueName: "file"))
    var config: String?

    @Option(parsing: .upToNextOption, help: "Only look for these issues (all by default).")
    var checks: [String] = []

    @Flag(help: "Do not walk sub-folders.")
    var noRecursive = false

    @Option(
        help: ArgumentHelp(
            "Exit with status 2 when a finding is this severe or more (info, warning, high or critical): a gate for a data pipeline or CI, after the summary, the JSON lines and the gallery are written.",
            valueName: "severity"))
    var failOn: AnomalySeverity?

    func validate() throws {
        let known = Set(ImageIssue.allCases.map(\.rawValue))
        for check in checks where !known.contains(check) {
            throw ValidationError(
                "--checks: unknown issue '\(check)' (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    func run() throws {
        logging.bootstrap()
        var thresholds = ImageQualityThresholds()
        if let config {
            let document = try YAMLDocument.parse(try String(contentsOfFile: config, encoding: .utf8))
            do {
                thresholds = try ImageQualityThresholds.parse(document["audit"]?.objectValue, path: "audit")
            } catch {
                throw ValidationError("--config \(config): \(error)")
            }
        }
        let runStore = try RunStore(location: store.resolvedPath)
        defer { runStore.close() }
        let showProgress = isatty(STDERR_FILENO) == 1
        var auditor = DatasetAuditor(
            store: runStore, thresholds: thresholds,
            inspector: InspectionWorkerPool.selfExecuting())
        if !checks.isEmpty { auditor.checks = Set(checks.compactMap(ImageIssue.init(rawValue:))) }
        let summary = try auditor.run(
            paths: paths, recursive: !noRecursive,
            progress: { done, total in
                guard showProgress, done % 50 == 0 || done == total else { return }
                let width = 30
                let filled = total > 0 ? done * width / total : width
                FileHandle.standardError.write(
                    Data(
                        "\r[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total)"
                            .utf8))
            })
        if showProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        if let jsonl {
            // Streamed from the store: a large audit's findings never sit in memory at once.
            guard FileManager.default.createFile(atPath: jsonl, contents: nil),
                let output = FileHandle(forWritingAtPath: jsonl)
            else {
                throw RuntimeFailure("--jsonl \(jsonl): cannot create the file")
            }
            defer { try? output.close() }
            var lines = ""
            try runStore.forEachAuditFinding(auditID: summary.auditID) { finding in
                var line: JSONObject = [
                    "path": .string(finding.path), "issue": .string(finding.issue.rawValue),
                    "severity": .string(finding.severity.rawValue), "score": JSONValue(finding.score),
                    "threshold": JSONValue(finding.threshold), "detail": .string(finding.detail),
                ]
                if let group = finding.group { line["group"] = .string(group) }
                lines += JSONWriter.string(.object(line)) + "\n"
                if lines.utf8.count >= 1 << 16 {
                    try output.write(contentsOf: Data(lines.utf8))
                    lines = ""
                }
            }
            try output.write(contentsOf: Data(lines.utf8))
        }
        let rows = summary.counts.map { [$0.issue.rawValue, "\($0.count)", $0.example] }
        print(
            "audit \(summary.auditID): \(summary.images) images (\(summary.reused) unchanged since the last audit) in \(String(format: "%.2f", summary.seconds)) s"
        )
        if summary.skippedCount > 0 { print("skipped \(summary.skippedCount) files that are not images") }
        for folder in summary.unreadableFolders { print("could not read folder \(folder)") }
        for special in summary.notRegularFiles {
            print("not opened: \(special.path) is a \(special.kind), not a regular file")
        }
        for name in summary.undecodableNames {
            print("not audited: \(name) has a name that is not UTF-8 (its other bytes shown as \\xNN): rename it")
        }
        print(rows.isEmpty ? "no findings" : TextTable.render(header: ["ISSUE", "IMAGES", "FOR EXAMPLE"], rows: rows))
        if summary.orientation.uncertain > 0 {
            print(
                "orientation: judged on \(summary.orientation.judged) images by their text; uncertain on \(summary.orientation.uncertain) (no text, or text that reads the same either way up): not guessed"
            )
        }
        if let report {
            var gallery = AuditGalleryWriter(directory: report, inspector: auditor.inspector)
            gallery.maximumPixels = thresholds.maximumPixels
            print("gallery: \(try gallery.write(store: runStore, summary: summary, roots: paths))")
        }
        if let failOn {
            var reaching: [String: Int] = [:]
            try runStore.forEachAuditFinding(auditID: summary.auditID) { finding in
                if finding.severity >= failOn { reaching[finding.issue.rawValue, default: 0] += 1 }
            }
            if !reaching.isEmpty {
                let total = reaching.values.reduce(0, +)
                let counts = reaching.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                FileHandle.standardError.write(
                    Data(
                        "runclinic: \(total) finding\(total == 1 ? "" : "s") at \(failOn.rawValue) or above (--fail-on): \(counts.joined(separator: ", "))\n"
                            .utf8))
                throw ExitCode(2)
            }
        }
    }
}
