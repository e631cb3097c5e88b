/// How one run did on the compared metric.
public struct RunOutcome: Sendable {
    public let run: RunRecord
    public let points: Int
    public let best: Double?
    public let bestStep: Int64?
    public let final: Double?
    /// How much worse the final value is than the best (absolute for max, relative for min).
    public let dropFromBest: Double?
    /// The metric's mean over the run's steps (area under the curve over its step range):
    /// rewards getting good early as well as ending good.
    public let areaUnderCurve: Double?
    /// The first step at which the metric came within 95% of the run's best.
    public let stepsToNearBest: Int64?
    /// Seconds from the first to the last logged point.
    public let wallSeconds: Double?
    /// The monitor's anomalies, by severity.
    public let anomalies: [AnomalySeverity: Int]
    /// Volatility: the standard deviation of the metric's changes between evaluations over the
    /// second half of the run (where a run should have settled).
    public let volatility: Double?

    static func measure(
        run: RunRecord, series: MetricSeries?, direction: MetricDirection, anomalies: [AnomalySeverity: Int]
    ) -> RunOutcome {
        let finite = series.map { zip($0.steps, $0.values).filter { $0.1.isFinite } } ?? []
        guard let first = finite.first, let last = finite.last else {
            return RunOutcome(
                run: run, points: 0, best: nil, bestStep: nil, final: nil, dropFromBest: nil, areaUnderCurve: nil,
                stepsToNearBest: nil, wallSeconds: nil, anomalies: anomalies, volatility: nil)
        }
        var best = first
        for point in finite where direction.isBetter(point.1, than: best.1) { best = point }
        let drop = direction == .max ? best.1 - last.1 : (last.1 - best.1) / max(abs(best.1), 1e-12)
        var area = 0.0
        for index in 1..<max(1, finite.count) {
            area += Double(finite[index].0 - finite[index - 1].0) * (finite[index].1 + finite[index - 1].1) / 2
        }
        let span = Double(last.0 - first.0)
        let mean = span > 0 ? area / span : first.1
        let near = finite.first {
            direction == .max ? $0.1 >= best.1 - 0.05 * abs(best.1) : $0.1 <= best.1 + 0.05 * abs(best.1)
        }?.0
        let half = Array(finite.suffix(max(2, finite.count / 2)))
        let changes = zip(half.dropFirst(), half).map { $0.1 - $1.1 }
        let volatility = changes.count >= 2 ? StudentT.meanAndVariance(changes).variance.squareRoot() : nil
        let times = series.map { $0.times.filter(\.isFinite) } ?? []
        let wall = (times.max() ?? 0) - (times.min() ?? 0)
        return RunOutcome(
            run: run, points: finite.count, best: best.1, bestStep: best.0, final: last.1, dropFromBest: drop,
            areaUnderCurve: mean, stepsToNearBest: near, wallSeconds: times.isEmpty ? nil : wall,
            anomalies: anomalies, volatility: volatility)
    }
}
