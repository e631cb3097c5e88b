import Foundation

/// Writes an audit as a self-contained HTML gallery (`audit_<id>.html`): the count of each issue
/// with its threshold, then each issue's images as thumbnails with score, threshold, severity and
/// path (worst first), duplicate and near-duplicate groups side by side. Thumbnails are data
/// URIs, so the page fetches nothing: colour JPEGs of the shown images, decoded again by the
/// `inspector`, or the stored 48x48 grey ones without one (or where a file changed and no longer
/// decodes).
public struct AuditGalleryWriter: Sendable {
    public let directory: String
    /// Images shown per issue (and groups per duplicate issue); the rest are counted.
    public var shownPerIssue = 120
    /// Decodes the shown images again for colour thumbnails; nil: the stored grey ones.
    public var inspector: (any ImageInspector)?
    /// Files claiming more pixels are not decoded for a thumbnail either (see ImageThumbnail).
    public var maximumPixels = ImageQualityThresholds().maximumPixels

    public init(directory: String, inspector: (any ImageInspector)? = nil) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.inspector = inspector
    }

    /// What each issue means, for people reading the gallery.
    static let meanings: [ImageIssue: String] = [
        .unreadable: "cannot be opened or decoded", .truncated: "the file ends early (cut off)",
        .tooLarge: "claims more pixels than the limit (a decompression bomb or a huge scan)",
        .tooSmall: "fewer pixels on a side than the minimum", .oddAspectRatio: "a thin strip",
        .blurry: "no sharp detail anywhere",
        .dark: "too dark to see", .overexposed: "washed out", .lowInformation: "nearly uniform",
        .grayscale: "a colour file whose pixels are grey", .exifRotated: "shown turned by its EXIF orientation",
        .rotated: "turned a quarter or half turn", .skewed: "tilted", .oddSize: "far from the dataset's usual size",
        .duplicate: "byte-identical copies",
        .nearDuplicate: "copies edited by a pipeline (re-encoded, resized, cropped)",
    ]

    /// Writes the gallery of an audit; returns its path.
    public func write(store: RunStore, summary: DatasetAuditor.Summary, roots: [String]) throws -> String {
        let folder = ReportFolder(path: directory, field: "report_dir")
        try folder.create()
        var issues: [[String: Any]] = []
        for (issue, count, _) in summary.counts {
            let page = try store.auditFindings(
                auditID: summary.auditID, issue: issue, offset: 0, limit: 20 * shownPerIssue)
            var entry: [String: Any] = [
                "issue": issue.rawValue, "count": count, "meaning": Self.meanings[issue] ?? "",
                "threshold": Self.thresholds(page.findings),
            ]
            if issue == .duplicate || issue == .nearDuplicate {
                var groups: [String: [AuditFinding]] = [:]
                for finding in page.findings { groups[finding.group ?? finding.path, default: []].append(finding) }
                let shown = groups.keys.sorted().prefix(shownPerIssue)
                let previews = try store.imagePreviews(paths: shown.flatMap { [$0] + groups[$0]!.map(\.path) })
                let pictures = colourThumbnails(Array(previews.keys))
                entry["grouped"] = true
                entry["groups"] = shown.map { key in
                    // The group is named by its first image, which carries no finding itself.
                    var members = groups[key]!.map { Self.figure($0, previews, pictures) }
                    if !groups[key]!.contains(where: { $0.path == key }) {
                        members.insert(
                            Self.figure(
                                AuditFinding(
                                    path: key, issue: issue, severity: .info, score: nil, threshold: nil,
                                    detail: "the first of its group"), previews, pictures), at: 0)
                    }
                    return ["members": members]
                }
                entry["more"] = groups.count > shown.count ? "\(groups.count - shown.count) groups" : nil
            } else {
                // Worst first: errors, then warnings, then what is only worth a look.
                let ordered = page.findings.sorted { ($0.severity, $1.path) > ($1.severity, $0.path) }.prefix(
                    shownPerIssue)
                let previews = try store.imagePreviews(paths: ordered.map(\.path))
                let pictures = colourThumbnails(Array(previews.keys))
                entry["findings"] = ordered.map { Self.figure($0, previews, pictures) }
                entry["more"] = count > ordered.count ? "\(count - ordered.count)" : nil
            }
            issues.append(entry)
        }
        let context: [String: Any] = [
            "auditID": summary.auditID, "roots": roots.joined(separator: ", "), "images": summary.images,
            "seconds": String(format: "%.2f", summary.seconds),
            "generated": ISO8601DateFormatter().string(from: Date()),
            "issues": issues, "hasIssues": !issues.isEmpty, "hasNotRegular": !summary.notRegularFiles.isEmpty,
            "notRegular": summary.notRegularFiles.map { "\($0.path) (\($0.kind))" },
            "hasUndecodable": !summary.undecodableNames.isEmpty, "undecodable": summary.undecodableNames,
            "orientationJudged": summary.orientation.judged, "orientationUncertain": summary.orientation.uncertain,
        ]
        return try folder.write(
            try ReportTemplates.render("gallery.html", context), to: "audit_\(summary.auditID).html")
    }

    /// The bars an issue's findings were held to, the most used first: a check may decide by more
    /// than one measure (blurry by its Laplacian or by its blur effect), each with its own bar.
    static func thresholds(_ findings: [AuditFinding]) -> String {
        var uses: [String: Int] = [:]
        for threshold in findings.compactMap(\.threshold) { uses[threshold.displayValue, default: 0] += 1 }
        let ordered = uses.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key)
        return ordered.isEmpty ? "-" : ordered.joined(separator: " / ")
    }

    /// Colour thumbnails of `paths` (see ImageThumbnail.dataURIs); none without an inspector.
    func colourThumbnails(_ paths: [String]) -> [String: String] {
        inspector.map { ImageThumbnail.dataURIs(paths, inspector: $0, maximumPixels: maximumPixels) } ?? [:]
    }

    static func figure(
        _ finding: AuditFinding, _ previews: [String: (pixels: [UInt8], aspect: Double)],
        _ pictures: [String: String] = [:]
    ) -> [String: Any] {
        // A finding without a score or threshold (a file cut off or unreadable) says false, not
        // nothing: a key left out is looked up in the issue's context, whose threshold is "-".
        var figure: [String: Any] = [
            "path": finding.path, "name": (finding.path as NSString).lastPathComponent,
            // The thumbnail opens the image itself, where the gallery is read beside the dataset.
            "link": URL(fileURLWithPath: finding.path).absoluteString,
            "severity": finding.severity.rawValue, "detail": finding.detail,
            "score": finding.score.map(\.displayValue) ?? false,
            "threshold": finding.threshold.map(\.displayValue) ?? false,
        ]
        if let preview = previews[finding.path] {
            figure["thumbnail"] =
                pictures[finding.path] ?? GreyBitmap.dataURI(preview.pixels, width: 48, height: 48)
            // Drawn at the image's own proportions within 120x120.
            let aspect = min(12, max(1.0 / 12, preview.aspect))
            figure["size"] =
                aspect >= 1
                ? "width:120px;height:\(Int((120 / aspect).rounded()))px"
                : "width:\(Int((120 * aspect).rounded()))px;height:120px"
        }
        return figure
    }
}
