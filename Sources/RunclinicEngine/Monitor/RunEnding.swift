import RunclinicJSON

/// How a run ended when its trainer did not say: `failed` when its training loss (or another
/// training metric) ended non-finite, or when the monitor's last advice was to stop and nothing
/// was logged after it; else `finished`. A trainer that says `finished` is taken at its word.
public enum RunEnding {
    public static func judge(run reference: RunReference, store: RunStore, defaults: MonitorConfiguration) throws -> (
        status: RunStatus, reason: String?
    ) {
        let record = try store.run(reference)
        let configuration = (try? MonitorConfiguration.parse(record.config, base: defaults).configuration) ?? defaults
        let final = try store.finalValues(.id(record.id))
        for (name, value) in final.values.sorted(by: { $0.key < $1.key })
        where !value.isFinite && MetricProfile(name: name, configuration: configuration).role == .training {
            return (.failed, "\(name) ended \(value.shortDescription)")
        }
        if let last = try store.actions(run: .id(record.id)).last,
            last["kind"]?.stringValue == RecoveryAction.Kind.stop.rawValue,
            let step = last["step"]?.intValue, (final.lastStep ?? step) <= step
        {
            return (.failed, "the monitor advised stopping at step \(step) and nothing was logged after it")
        }
        return (.finished, nil)
    }
}
