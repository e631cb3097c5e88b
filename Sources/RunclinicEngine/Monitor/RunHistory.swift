/// A run's stored points and batches in the order they were logged, for replaying into a
/// fresh monitor after a restart.
struct RunHistory {
    private enum Event {
        case step(Int64, [MetricValue])
        case batch(BatchRecord)
    }

    private var events: [(step: Int64, order: Int, event: Event)] = []

    /// The run's lineage, or its part before `step`.
    init(store: RunStore, runID: Int64, before step: Int64? = nil) throws {
        let until = step.map { $0 - 1 }
        var batches = try store.batches(run: .id(runID))
        if let until { batches.removeAll { $0.step > until } }
        self.init(series: try store.metrics(run: .id(runID), untilStep: until), batches: batches)
    }

    /// From a run's series and batches already read.
    init(series: [(name: String, series: MetricSeries)], batches: [BatchRecord]) {
        var byStep: [Int64: [MetricValue]] = [:]
        for (name, values) in series {
            for index in values.steps.indices {
                byStep[values.steps[index], default: []].append(MetricValue(name, values.values[index]))
            }
        }
        for (step, values) in byStep { events.append((step, 1, .step(step, values))) }
        // Batches of a step come before its aggregate metrics, as a validation loop logs them.
        for record in batches { events.append((record.step, 0, .batch(record))) }
        events.sort { ($0.step, $0.order) < ($1.step, $1.order) }
    }

    /// Feeds every event to `monitor`; returns what its detectors raised along the way.
    @discardableResult
    func replay(into monitor: RunMonitor) -> [Anomaly] {
        var found: [Anomaly] = []
        for entry in events {
            switch entry.event {
            case .step(let step, let values): found += monitor.observe(step: step, values: values)
            case .batch(let record):
                found += monitor.observeBatch(
                    step: record.step, batch: record.batch, values: record.metrics, samples: record.samples)
            }
        }
        return found
    }
}
