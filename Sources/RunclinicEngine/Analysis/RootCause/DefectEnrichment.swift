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

    /// The most significant issue, or nil when no issue is found more often in the dropped group.
    static func strongest(dropped: [String], stable: [String], verdicts: [String: [ImageIssue]]) -> Result? {
        let droppedAudited = Array(Set(dropped)).filter { verdicts[$0] != nil }.sorted()
        let stableAudited = Array(Set(stable).subtracting(dropped)).filter { verdicts[$0] != nil }
        guard !droppedAudited.isEmpty else { return nil }
        var best: Result? = nil
        for issue in contentIssues {
            let bad = droppedAudited.filter { verdicts[$0]!.contains(issue) }
            guard !bad.isEmpty else { continue }
            let stableBad = stableAudited.filter { verdicts[$0]!.contains(issue) }.count
            let p = FisherExactTest.greater(bad.count, droppedAudited.count - bad.count, stableBad, stableAudited.count - stableBad)
            let result = Result(issue: issue, droppedDefective: bad.count, droppedTotal: droppedAudited.count,
                                stableDefective: stableBad, stableTotal: stableAudited.count, pValue: p, examples: bad)
            if best == nil || p < best!.pValue { best = result }
        }
        return best
    }
}
