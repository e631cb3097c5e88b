/// The training loss that goes with a validation metric ("val/loss" with "train/loss", else the
/// first training loss logged), and its level near a step: the median of its values over one
/// evaluation interval up to the step (per-step minibatch losses are too noisy to read one by one).
struct PairedTrainingLoss {
    let name: String
    let series: MetricSeries

    init?(pairedWith metric: String, in series: [String: MetricSeries], profile: (String) -> MetricProfile) {
        let validation = profile(metric)
        let candidates = series.keys.sorted().filter { profile($0).role == .training && profile($0).direction == .min }
        guard let name = candidates.first(where: { profile($0).stem == validation.stem }) ?? candidates.first,
            let values = series[name]
        else { return nil }
        self.name = name
        self.series = values
    }

    /// The median of the finite values in (step - span, step].
    func level(near step: Int64, span: Int64) -> Double? {
        let window = zip(series.steps, series.values).filter { $0.0 > step - span && $0.0 <= step && $0.1.isFinite }
            .map(\.1)
        return window.isEmpty ? nil : TrailingWindow.median(window)
    }
}
