/// Groups what the monitor raises live into incidents, so that one event seen by several
/// detectors at adjacent steps (an infinite learning rate, then a NaN loss; a batch collapsing,
/// then the aggregate dropping) gets one id and at most one piece of advice.
struct LiveIncidents: Sendable {
    struct Open: Sendable {
        let id: Int64
        var lastStep: Int64
        var advised = false
        /// Problematic batches seen in this incident (for data advice), by batch.
        var batches: [Int64: [String]] = [:]
        var batchMetric: String?
        /// A batch of it fell far below its peers (a high problematic batch).
        var severeBatch = false
    }

    private(set) var nextID: Int64 = 1
    private(set) var current: Open?

    init(nextID: Int64 = 1) {
        self.nextID = nextID
    }

    /// What makes or joins an incident: warnings and worse, and plateaus (rare, and acted on).
    /// Info-level outliers do not, or a noisy metric would keep one incident open for good.
    static func counts(_ anomaly: Anomaly) -> Bool {
        anomaly.severity >= .warning || anomaly.type == .plateau
    }

    /// Gives every anomaly that counts the id of the incident it belongs to: the open one when
    /// it was last fed within `gap` steps, else a new one. Returns the incident touched.
    mutating func assign(_ anomalies: inout [Anomaly], step: Int64, gap: Int64) -> Open? {
        guard anomalies.contains(where: Self.counts) else { return nil }
        if current == nil || step - current!.lastStep > gap || step < current!.lastStep {
            current = Open(id: nextID, lastStep: step)
            nextID += 1
        }
        current!.lastStep = step
        for index in anomalies.indices where Self.counts(anomalies[index]) {
            anomalies[index].incident = current!.id
            if anomalies[index].type == .problematicBatch, let batch = anomalies[index].batch {
                current!.batches[batch] = anomalies[index].samples ?? []
                current!.batchMetric = anomalies[index].metric
                if anomalies[index].severity >= .high { current!.severeBatch = true }
            }
        }
        return current
    }

    /// The open incident, when it holds batches that fell at `step` and has had no advice: data
    /// advice waits for the step's aggregate, so that it names every batch of the step.
    func awaitingDataAdvice(at step: Int64) -> Open? {
        guard let current, !current.advised, !current.batches.isEmpty, current.lastStep == step else { return nil }
        return current
    }

    mutating func markAdvised() {
        current?.advised = true
    }
}
