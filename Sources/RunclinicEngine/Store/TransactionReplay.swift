/// What a PostgreSQL writer's open transaction holds of the trainers' data: its points, and the
/// other rows logging writes with them (validation batches, a run's metric names, anomalies,
/// actions, attempts), kept until the commit so that a lost connection loses none of them: they
/// are written again on a new one. A commit window's worth at most; SQLite keeps nothing here.
///
/// Kept entries are numbered across the writer's life (`pointBase` is the number of `points[0]`),
/// so that those one call added can be told from those before it (see `forget(since:)`).
struct TransactionReplay {
    struct Write {
        let sql: String
        let values: [DatabaseValue]
    }

    /// The numbers the next point and the next write kept will have.
    struct Mark {
        var point = 0
        var write = 0
    }

    var isKept = false
    private(set) var points: [HeldPoint] = []
    private(set) var writes: [Write] = []
    private var base = Mark()

    var end: Mark { Mark(point: base.point + points.count, write: base.write + writes.count) }

    mutating func keep(_ point: HeldPoint) { points.append(point) }
    mutating func keep(_ write: Write) { writes.append(write) }

    /// Forgets what is kept; numbering goes on.
    mutating func clear() {
        base = end
        points.removeAll(keepingCapacity: true)
        writes.removeAll(keepingCapacity: true)
    }

    /// `earlier` (kept just before this, as a sent commit is) put back in front.
    mutating func prepend(_ earlier: TransactionReplay) {
        guard !earlier.points.isEmpty || !earlier.writes.isEmpty else { return }
        points = earlier.points + points
        writes = earlier.writes + writes
        base = earlier.base
    }

    /// Forgets the entries numbered from `mark` on: what a call kept, before the call runs again.
    mutating func forget(since mark: Mark) {
        let points = max(0, mark.point - base.point)
        if points < self.points.count { self.points.removeSubrange(points...) }
        let writes = max(0, mark.write - base.write)
        if writes < self.writes.count { self.writes.removeSubrange(writes...) }
    }
}
