/// A small random forest of regression trees (bagged CART, a random subset of features tried at
/// each split): the surrogate model behind the hyperparameter importance ranking. Deterministic
/// for a seed.
struct RegressionForest: Sendable {
    struct Node: Sendable {
        var feature = -1  // -1: a leaf
        var threshold = 0.0
        var left = 0, right = 0
        var value = 0.0
    }

    typealias Tree = [Node]
    let trees: [Tree]

    init(
        rows: [[Double]], targets: [Double], trees count: Int = 48, maximumDepth: Int = 8, minimumLeaf: Int = 3,
        seed: UInt64 = 7
    ) {
        var random = SplitMix(state: seed)
        let features = rows.first?.count ?? 0
        let tried = max(1, (features * 2 + 2) / 3)
        var forest: [Tree] = []
        for _ in 0..<count {
            let sample = (0..<rows.count).map { _ in Int(random.next() % UInt64(rows.count)) }
            var tree: Tree = []
            Self.grow(
                &tree, sample, rows, targets, depth: 0, maximumDepth: maximumDepth, minimumLeaf: minimumLeaf,
                features: features, tried: tried, random: &random)
            forest.append(tree)
        }
        trees = forest
    }

    @discardableResult
    static func grow(
        _ tree: inout Tree, _ indices: [Int], _ rows: [[Double]], _ targets: [Double], depth: Int, maximumDepth: Int,
        minimumLeaf: Int, features: Int, tried: Int, random: inout SplitMix
    ) -> Int {
        let mean = indices.reduce(0.0) { $0 + targets[$1] } / Double(max(1, indices.count))
        let position = tree.count
        tree.append(Node(value: mean))
        guard depth < maximumDepth, indices.count >= 2 * minimumLeaf else { return position }
        var candidates = Array(0..<features)
        for index in stride(from: candidates.count - 1, to: 0, by: -1) {
            candidates.swapAt(index, Int(random.next() % UInt64(index + 1)))
        }
        var best: (feature: Int, threshold: Double, score: Double)? = nil
        let total = indices.reduce(0.0) { $0 + targets[$1] }
        for feature in candidates.prefix(tried) {
            let sorted = indices.sorted { rows[$0][feature] < rows[$1][feature] }
            var leftSum = 0.0
            for split in 1..<sorted.count {
                leftSum += targets[sorted[split - 1]]
                let low = rows[sorted[split - 1]][feature]
                let high = rows[sorted[split]][feature]
                guard low < high, split >= minimumLeaf, sorted.count - split >= minimumLeaf else { continue }
                let leftCount = Double(split)
                let rightCount = Double(sorted.count - split)
                // Maximising the between-children sum of squares minimises the children's error.
                let score = leftSum * leftSum / leftCount + (total - leftSum) * (total - leftSum) / rightCount
                if best == nil || score > best!.score { best = (feature, (low + high) / 2, score) }
            }
        }
        guard let split = best else { return position }
        let left = indices.filter { rows[$0][split.feature] <= split.threshold }
        let right = indices.filter { rows[$0][split.feature] > split.threshold }
        tree[position].feature = split.feature
        tree[position].threshold = split.threshold
        tree[position].left = grow(
            &tree, left, rows, targets, depth: depth + 1, maximumDepth: maximumDepth, minimumLeaf: minimumLeaf,
            features: features, tried: tried, random: &random)
        tree[position].right = grow(
            &tree, right, rows, targets, depth: depth + 1, maximumDepth: maximumDepth, minimumLeaf: minimumLeaf,
            features: features, tried: tried, random: &random)
        return position
    }

    func predict(_ row: [Double]) -> Double {
        var sum = 0.0
        for tree in trees {
            var node = 0
            while tree[node].feature >= 0 {
                node = row[tree[node].feature] <= tree[node].threshold ? tree[node].left : tree[node].right
            }
            sum += tree[node].value
        }
        return sum / Double(max(1, trees.count))
    }
}

/// SplitMix64: a tiny, good, seedable generator (Steele, Lea & Flood 2014).
struct SplitMix: Sendable, RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
