/// Hyperparameter importance by functional ANOVA over a random-forest surrogate (in the spirit of
/// Hutter, Hoos & Leyton-Brown 2014): each parameter's main effect is the variance of the forest's
/// average prediction as that parameter alone varies over its observed values (the others drawn
/// from the runs), as a share of the predictions' total variance; what the main effects leave is
/// interaction. Non-monotone effects count (a peak in the middle of a range is variance too),
/// which a correlation misses.
enum ImportanceRanking {
    struct Result: Sendable {
        let importances: [(index: Int, share: Double)]
        let interactionShare: Double
    }

    /// `rows`: one per run, a numeric encoding of each parameter (categories as their index);
    /// `targets`: the runs' outcomes.
    static func rank(rows: [[Double]], targets: [Double], seed: UInt64 = 7) -> Result? {
        guard rows.count >= 8, let features = rows.first?.count, features > 0 else { return nil }
        let forest = RegressionForest(rows: rows, targets: targets, seed: seed)
        let predictions = rows.map(forest.predict)
        let total = StudentT.meanAndVariance(predictions).variance
        guard total > 0 else { return nil }
        // At most 200 background runs and 24 values per parameter keep the cost flat.
        let background = rows.count <= 200 ? rows : (0..<200).map { rows[$0 * rows.count / 200] }
        var importances: [(Int, Double)] = []
        for feature in 0..<features {
            var values = Array(Set(rows.map { $0[feature] })).sorted()
            if values.count > 24 { values = (0..<24).map { values[$0 * values.count / 24] } }
            // Weight each value by how often it (or its neighbourhood) was tried.
            var weights = [Double](repeating: 0, count: values.count)
            for row in rows {
                let nearest = values.indices.min { abs(values[$0] - row[feature]) < abs(values[$1] - row[feature]) }!
                weights[nearest] += 1
            }
            var marginal: [Double] = []
            for value in values {
                var sum = 0.0
                for row in background {
                    var changed = row
                    changed[feature] = value
                    sum += forest.predict(changed)
                }
                marginal.append(sum / Double(background.count))
            }
            let weightSum = weights.reduce(0, +)
            let mean = zip(marginal, weights).reduce(0) { $0 + $1.0 * $1.1 } / weightSum
            let variance = zip(marginal, weights).reduce(0) { $0 + $1.1 * ($1.0 - mean) * ($1.0 - mean) } / weightSum
            importances.append((feature, min(1, variance / total)))
        }
        importances.sort { $0.1 > $1.1 }
        return Result(importances: importances, interactionShare: max(0, 1 - importances.reduce(0) { $0 + $1.1 }))
    }
}
