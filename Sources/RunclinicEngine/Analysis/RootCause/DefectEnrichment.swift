import Foundation

/// Whether images of the dropped batches carry an audit defect more often than those of the
/// batches that held: per issue, the share in each group and Fisher's exact test.
struct DefectEnrichment: Sendable {
    struct Result: Sendable {
        let issue: ImageIssue
        let droppedDefective: Int
        let droppedTotal: Int
        let stableDefective: Int
        let stableTotal: Int
        let pValue: Double
        let examples: [String]
    }

    /// Issues that are about the whole dataset rather than one image's content: not a cause of
    /// a batch scoring worse.
    static let contentIssues = ImageIssue.allCases.filter { ![.duplicate, .nearDuplicate, .oddSize].contains($0) }

    /// Images with any content defect in each group (several defects, each in a few batches, can
    /// be significant together when none is alone).
    static func anyDefect(dropped: [String], stable: [String], verdicts: [String: [ImageIssue]]) -> Result? {
        let droppedAudited = Array(Set(dropped)).filter { verdicts[$0] != nil }.sorted()
        let stableAudited = Array(Set(stable).subtracting(dropped)).filter { verdicts[$0] != nil }
        let defective = { (path: String) in verdicts[path]!.contains { contentIssues.contains($0) } }
        let bad = droppedAudited.filter(defective)
        guard !bad.isEmpty else { return nil }
        let stableBad = stableAudited.filter(defective).count
        let p = FisherExactTest.greater(
            bad.count, droppedAudited.count - bad.count, stableBad, stableAudited.count - stableBad)
        return Result(
            issue: .unreadable, droppedDefective: bad.count, droppedTotal: droppedAudited.count,
            stableDefective: stableBad,
            stableTotal: stableAudited.count, pValue: p, examples: bad)
    }

    /// Which defect to name when several are as significant (the same images often carry more
    /// than one: a cut-off file decodes half grey): the one that harms training most.
    static let harm: [ImageIssue] = [
        .unreadable, .truncated, .tooLarge, .rotated, .exifRotated, .skewed, .blurry, .dark,
        .overexposed, .lowInformation, .tooSmall, .oddAspectRatio, .grayscale,
    ]

    /// Every issue found more often in the dropped group, most significant first (ties, within a
    /// factor of two of p, broken by harm).
    static func enriched(dropped: [String], stable: [String], verdicts: [String: [ImageIssue]]) -> [Result] {
        var results: [Result] = []
        var candidate = strongest(dropped: dropped, stable: stable, verdicts: verdicts, excluding: [])
        while let found = candidate {
            results.append(found)
            candidate = strongest(
                dropped: dropped, stable: stable, verdicts: verdicts, excluding: Set(results.map(\.issue)))
        }
        guard let best = results.map(\.pValue).min() else { return [] }
        let rank = { (issue: ImageIssue) in harm.firstIndex(of: issue) ?? harm.count }
        return results.sorted { first, second in
            let firstTied = first.pValue <= 2 * best
            let secondTied = second.pValue <= 2 * best
            if firstTied != secondTied { return firstTied }
            if firstTied { return rank(first.issue) < rank(second.issue) }
            return first.pValue < second.pValue
        }
    }

    /// The most significant issue, or nil when no issue is found more often in the dropped group.
    static func strongest(
        dropped: [String], stable: [String], verdicts: [String: [ImageIssue]], excluding: Set<ImageIssue>
    ) -> Result? {
        let droppedAudited = Array(Set(dropped)).filter { verdicts[$0] != nil }.sorted()
        let stableAudited = Array(Set(stable).subtracting(dropped)).filter { verdicts[$0] != nil }
        guard !droppedAudited.isEmpty else { return nil }
        var best: Result? = nil
        for issue in contentIssues where !excluding.contains(issue) {
            let bad = droppedAudited.filter { verdicts[$0]!.contains(issue) }
            guard !bad.isEmpty else { continue }
            let stableBad = stableAudited.filter { verdicts[$0]!.contains(issue) }.count
            let p = FisherExactTest.greater(
                bad.count, droppedAudited.count - bad.count, stableBad, stableAudited.count - stableBad)
            let result = Result(
                issue: issue, droppedDefective: bad.count, droppedTotal: droppedAudited.count,
                stableDefective: stableBad, stableTotal: stableAudited.count, pValue: p, examples: bad)
            let droppedRate = Double(bad.count) / Double(droppedAudited.count)
            let stableRate = Double(stableBad) / Double(max(1, stableAudited.count))
            guard droppedRate > stableRate else { continue }
            if best == nil || p < best!.pValue { best = result }
        }
        return best
    }
}
