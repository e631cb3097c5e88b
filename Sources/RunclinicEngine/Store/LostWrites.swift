/// Fire-and-forget points of one run that were accepted but could not be committed (a full disk):
/// what a client is told, since no reply ever said they were safe.
public struct LostWrites: Sendable, Equatable {
    public let runID: Int64
    /// Metric points and validation-batch records.
    public internal(set) var points: Int
    public internal(set) var firstStep: Int64
    public internal(set) var lastStep: Int64
    public internal(set) var reason: String

    init(runID: Int64, points: Int, step: Int64) {
        self.runID = runID
        self.points = points
        firstStep = step
        lastStep = step
        reason = ""
    }

    mutating func add(points more: Int, step: Int64) {
        points += more
        firstStep = min(firstStep, step)
        lastStep = max(lastStep, step)
    }

    mutating func add(_ other: LostWrites) {
        points += other.points
        firstStep = min(firstStep, other.firstStep)
        lastStep = max(lastStep, other.lastStep)
    }

    public var description: String {
        "\(points) fire-and-forget point\(points == 1 ? "" : "s") of run \(runID) (steps \(firstStep)-\(lastStep)) could not be committed and are lost: \(reason)"
    }
}
