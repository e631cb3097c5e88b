import RunclinicEngine
import RunclinicJSON
import RunclinicRPC

extension RunclinicService {
    var auditMethods: [MethodHandler] {
        let store = self.store
        let defaults = self.auditDefaults
        let inspector = self.imageInspector
        return [
            MethodHandler("audit.run", execution: .concurrent) { params, context in
                var paths = try params.optionalStringArray("paths") ?? []
                if let path = try params.optionalString("path") { paths.insert(path, at: 0) }
                guard !paths.isEmpty else { throw ResponseError.invalidParams(field: "path", "give path or paths") }
                let thresholds = try Self.thresholds(try params.optionalObject("thresholds"), base: defaults)
                var auditor = DatasetAuditor(store: store, thresholds: thresholds, inspector: inspector)
                if let names = try params.optionalStringArray("checks") {
                    auditor.checks = Set(
                        try names.map { name in
                            guard let issue = ImageIssue(rawValue: name) else {
                                throw ResponseError.invalidParams(
                                    field: "checks",
                                    "unknown issue '\(name)' (known: \(ImageIssue.allCases.map(\.rawValue).joined(separator: ", ")))"
                                )
                            }
                            return issue
                        })
                }
                let progress = context.beginProgress(params, title: "Auditing images")
                defer { progress?.end() }
                let limit = try params.optionalLimit("limit") ?? 1_000
                let summary = try auditor.run(
                    paths: paths, recursive: try params.optionalBool("recursive") ?? true,
                    dataset: try params.optionalString("dataset"),
                    progress: { done, total in
                        if done % 100 == 0 || done == total {
                            progress?.report(
                                message: "\(done)/\(total)", percentage: total > 0 ? done * 100 / total : 100)
                        }
                    },
                    isCancelled: { context.cancellation.isCancelled })
                var counts = JSONObject()
                for (issue, count, _) in summary.counts { counts[issue.rawValue] = .int(Int64(count)) }
                let report = try (try params.optionalString("report_dir")).map { directory in
                    var gallery = AuditGalleryWriter(directory: directory, inspector: inspector)
                    gallery.maximumPixels = thresholds.maximumPixels
                    return try gallery.write(store: store, summary: summary, roots: paths)
                }
                // The first page of findings; audit.findings pages through the rest.
                let page = try store.auditFindings(auditID: summary.auditID, issue: nil, offset: 0, limit: limit)
                var result: JSONObject = [
                    "audit_id": .int(summary.auditID), "images": .int(Int64(summary.images)),
                    "reused": .int(Int64(summary.reused)),
                    "seconds": .double(summary.seconds), "counts": .object(counts),
                    "findings_total": .int(Int64(page.total)),
                    "findings": .array(page.findings.map(\.jsonWithPath)),
                    "skipped": JSONValue(summary.skipped), "skipped_total": .int(Int64(summary.skippedCount)),
                    "unreadable_folders": JSONValue(summary.unreadableFolders),
                    "not_regular_files": .array(
                        summary.notRegularFiles.map { ["path": .string($0.path), "kind": .string($0.kind)] }),
                    "undecodable_names": JSONValue(summary.undecodableNames),
                    "orientation": [
                        "judged": .int(Int64(summary.orientation.judged)),
                        "uncertain": .int(Int64(summary.orientation.uncertain)),
                    ],
                ]
                if let report { result["report"] = .string(report) }
                return .object(result)
            },
            MethodHandler("audit.list") { params, _ in
                let audits = try store.listAudits(limit: try params.optionalLimit("limit") ?? 100)
                return [
                    "audits": .array(
                        audits.map { audit in
                            [
                                "audit_id": .int(audit.id), "roots": JSONValue(audit.roots),
                                "dataset": JSONValue(audit.dataset), "images": .int(Int64(audit.images)),
                                "started_at": .double(audit.startedAt), "finished_at": JSONValue(audit.finishedAt),
                                "counts": .object(
                                    JSONObject(audit.counts.map { ($0.issue.rawValue, .int(Int64($0.count))) })),
                            ]
                        })
                ]
            },
            MethodHandler("audit.findings") { params, _ in
                let issue = try params.optionalChoice("issue", of: ImageIssue.self)
                let page = try store.auditFindings(
                    auditID: try params.int("audit_id"), issue: issue,
                    offset: try params.optionalLimit("offset") ?? 0, limit: try params.optionalLimit("limit") ?? 1_000)
                return ["total": .int(Int64(page.total)), "findings": .array(page.findings.map(\.jsonWithPath))]
            },
            // The handbook's ImageQualityFilter for a data pipeline: which images to train on.
            MethodHandler("audit.filter", execution: .concurrent) { params, context in
                guard let paths = try params.optionalStringArray("paths") else {
                    throw ResponseError.invalidParams(field: "paths", "is required")
                }
                let check = ImageQualityCheck(
                    thresholds: try Self.thresholds(try params.optionalObject("thresholds"), base: defaults))
                let progress = context.beginProgress(params, title: "Checking images")
                defer { progress?.end() }
                var accepted: [JSONValue] = []
                var rejected: [JSONValue] = []
                for (index, path) in paths.enumerated() {
                    try context.cancellation.checkCancellation()
                    let findings = check.findings(
                        for: inspector.inspect(path: path, maximumPixels: check.thresholds.maximumPixels))
                    if findings.contains(where: { $0.severity >= .warning }) {
                        rejected.append(["path": .string(path), "reasons": .array(findings.map(\.json))])
                    } else {
                        accepted.append(.string(path))
                    }
                    if index % 64 == 63 { progress?.report(percentage: (index + 1) * 100 / paths.count) }
                }
                return ["accepted": .array(accepted), "rejected": .array(rejected)]
            },
        ]
    }

    /// `thresholds` param: ImageQualityThresholds' keys in snake case.
    static func thresholds(_ object: JSONObject?, base: ImageQualityThresholds) throws(ResponseError)
        -> ImageQualityThresholds
    {
        do {
            return try ImageQualityThresholds.parse(object, path: "thresholds", base: base)
        } catch {
            throw ResponseError.invalidParams(field: error.path, "expected \(error.expected), got \(error.got)")
        }
    }
}

extension AuditFinding {
    var json: JSONValue {
        var object: JSONObject = [
            "issue": .string(issue.rawValue), "severity": .string(severity.rawValue), "score": JSONValue(score),
            "threshold": JSONValue(threshold), "detail": .string(detail),
        ]
        if let group { object["group"] = .string(group) }
        return .object(object)
    }

    var jsonWithPath: JSONValue {
        guard case .object(var object) = json else { return json }
        object["path"] = .string(path)
        return .object(object)
    }
}
