/// The name a mistyped one most likely meant: the nearest by edit distance (on characters), when
/// it is near enough to be a typo (at most a third of the name's length, and 3).
public enum ClosestName {
    public static func closest(to typed: String, among names: [String]) -> String? {
        let limit = min(3, max(1, typed.count / 3))
        var best: (name: String, distance: Int)? = nil
        for name in names {
            let distance = editDistance(Array(typed), Array(name))
            if distance <= limit, best == nil || distance < best!.distance { best = (name, distance) }
        }
        return best?.name
    }

    /// Edits (insert, delete, substitute, or swap two neighbours: "stpe" is one typo from "step")
    /// between two names: the optimal string alignment distance.
    static func editDistance(_ first: [Character], _ second: [Character]) -> Int {
        guard !first.isEmpty else { return second.count }
        var beforePrevious: [Int] = []
        var previous = Array(0...second.count)
        for (row, character) in first.enumerated() {
            var current = [row + 1] + Array(repeating: 0, count: second.count)
            for (column, other) in second.enumerated() {
                current[column + 1] = min(
                    previous[column + 1] + 1, current[column] + 1, previous[column] + (character == other ? 0 : 1))
                if row > 0, column > 0, character == second[column - 1], first[row - 1] == other {
                    current[column + 1] = min(current[column + 1], beforePrevious[column - 1] + 1)
                }
            }
            beforePrevious = previous
            previous = current
        }
        return previous[second.count]
    }
}
