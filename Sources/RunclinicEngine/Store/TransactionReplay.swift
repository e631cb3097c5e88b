/// What a PostgreSQL writer's open transaction holds of the trainers' data: its points, and the
/// other rows logging writes with them (validation batches, a run's metric names, anomalies,
/// actions, attempts), kept until the commit so that a lost connection loses none of them: they
/// are written again on a new one. A commit window's worth at most; SQLite keeps nothing here.
struct TransactionReplay {
    struct Write {
        let sql: String
        let values: [DatabaseValue]
    }

    var isKept = false
    var points: [HeldPoint] = []
    var writes: [Write] = []

    mutating func clear() {
        points.removeAll(keepingCapacity: true)
        writes.removeAll(keepingCapacity: true)
    }
}
