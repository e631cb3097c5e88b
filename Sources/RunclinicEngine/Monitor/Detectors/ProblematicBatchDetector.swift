/// A validation batch whose score dropped while the other batches of the same evaluation held:
/// far below their median (twice the drop threshold), and worse than its own previous value by
/// the threshold (or four robust deviations of the batches' changes), both in itself and beyond
/// the others' typical change. Needs seven other batches of the step; the
/// first batches of a step are judged when the step is complete (a later step's batch, or the
/// step's aggregate metrics, arrives).
struct ProblematicBatchDetector: Sendable {
    private struct Entry: Sendable {
        let batch: Int64
        let value: Double
        let samples: [String]
        var judged: Bool
    }

    /// Last value of each batch at an earlier step, per metric.
    private var previous: [String: [Int64: Double]] = [:]
    private var step: Int64?
    private var entries: [String: [Entry]] = [:]
    /// Recent step-to-step changes of all batches, less their step's median change, per metric:
    /// a steadier measure of how much a batch moves by chance than one step's fifteen peers.
    private var recentChanges: [String: TrailingWindow] = [:]
    static let minimumPeers = 7

    mutating func observe(
        batch: Int64, step: Int64, metrics: [MetricValue], samples: [String],
        profile: (String) -> MetricProfile, threshold: Double
    ) -> [Anomaly] {
        var found: [Anomaly] = []
        if let current = self.step, current != step { found += finishStep(profile: profile, threshold: threshold) }
        self.step = step
        for metric in metrics where metric.value.isFinite {
            let metricProfile = profile(metric.name)
            guard metricProfile.direction != nil else { continue }
            var list = entries[metric.name, default: []]
            var entry = Entry(batch: batch, value: metric.value, samples: samples, judged: false)
            if list.count >= Self.minimumPeers {
                entry.judged = true
                if let anomaly = judge(entry, peers: list, profile: metricProfile, step: step, threshold: threshold) {
                    found.append(anomaly)
                }
            }
            list.append(entry)
            entries[metric.name] = list
        }
        return found
    }

    /// Judges the step's batches that came before enough peers, then remembers the step's values.
    mutating func finishStep(profile: (String) -> MetricProfile, threshold: Double) -> [Anomaly] {
        guard let step else { return [] }
        var found: [Anomaly] = []
        for (metric, list) in entries.sorted(by: { $0.key < $1.key }) {
            let metricProfile = profile(metric)
            for (index, entry) in list.enumerated() where !entry.judged && list.count > Self.minimumPeers {
                var peers = list
                peers.remove(at: index)
                if let anomaly = judge(entry, peers: peers, profile: metricProfile, step: step, threshold: threshold) {
                    found.append(anomaly)
                }
            }
            let stepChanges = list.compactMap { entry in
                previous[metric]?[entry.batch].map { metricProfile.worsening(from: $0, to: entry.value) }
            }
            if stepChanges.count > Self.minimumPeers {
                var changes = recentChanges[metric] ?? TrailingWindow(capacity: 256)
                let median = TrailingWindow.median(stepChanges)
                for change in stepChanges { changes.append(change - median) }
                recentChanges[metric] = changes
            }
            for entry in list { previous[metric, default: [:]][entry.batch] = entry.value }
        }
        entries = [:]
        self.step = nil
        return found
    }

    private func judge(
        _ entry: Entry, peers: [Entry], profile: MetricProfile, step: Int64, threshold configured: Double
    ) -> Anomaly? {
        guard let history = previous[profile.name], let own = history[entry.batch] else { return nil }
        // Losses move more (relatively) than scores, as everywhere else: their threshold is twice.
        let threshold = profile.dropThreshold(configured)
        let median = TrailingWindow.median(peers.map(\.value))
        let gap = profile.worsening(from: median, to: entry.value)
        guard gap >= 2 * threshold else { return nil }
        let ownDrop = profile.worsening(from: own, to: entry.value)
        let peerDrops = peers.compactMap { peer in
            history[peer.batch].map { profile.worsening(from: $0, to: peer.value) }
        }
        var typicalDrop = 0.0
        var noise = 0.0
        if !peerDrops.isEmpty {
            typicalDrop = TrailingWindow.median(peerDrops)
            let deviations = (recentChanges[profile.name]?.values ?? []) + peerDrops.map { $0 - typicalDrop }
            noise = 1.4826 * TrailingWindow.median(deviations.map { abs($0) })
        }
        // A real drop of its own (not a batch lagging while the others improve), standing out from
        // how much the other batches moved (four robust deviations).
        let margin = max(threshold, 4 * noise)
        guard ownDrop >= margin, ownDrop - typicalDrop >= margin else { return nil }
        // High when the batch is far below its peers and its own fall is well clear of how much
        // batches move by chance (a small batch's loss jumps with one confident mistake).
        let severity: AnomalySeverity = gap >= 4 * threshold && ownDrop - typicalDrop >= 2 * margin ? .high : .warning
        return Anomaly(
            type: .problematicBatch, metric: profile.name, step: step, value: entry.value, baseline: median,
            magnitude: gap, severity: severity,
            message:
                "validation batch \(entry.batch) (problematic_batch_\(entry.batch)): \(profile.name) = \(entry.value.shortDescription) at step \(step), down from \(own.shortDescription), while the other \(peers.count) batches' median is \(median.shortDescription)",
            batch: entry.batch, samples: entry.samples)
    }
}
