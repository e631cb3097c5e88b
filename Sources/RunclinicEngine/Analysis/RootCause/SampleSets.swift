/// Whether a validation batch held other samples at two evaluations: under nine in ten of the
/// samples of either in common (a few reordered or re-drawn samples are the same batch).
enum SampleSets {
    /// True when the two lists differ by that measure; a missing list is no evidence of a change.
    static func differ(_ before: [String]?, _ after: [String]?) -> Bool {
        guard let before, let after else { return false }
        let a = Set(before)
        let b = Set(after)
        guard !a.isEmpty || !b.isEmpty else { return false }
        return Double(a.intersection(b).count) / Double(a.union(b).count) < 0.9
    }
}
