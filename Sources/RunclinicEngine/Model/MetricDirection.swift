/// Whether a larger or a smaller value of a metric is better.
public enum MetricDirection: String, Sendable {
    case max, min

    private static let lowerIsBetter: Set<String> = [
        "loss", "error", "err", "cer", "wer", "perplexity", "ppl", "mse", "mae", "rmse", "nll",
    ]
    private static let higherIsBetter: Set<String> = [
        "acc", "accuracy", "recall", "precision", "f1", "hmean", "auc", "map", "iou", "miou", "bleu",
        "rouge", "dice", "top1", "top5", "score",
    ]

    /// Reads the direction from the metric's name ("val/loss" → min, "val_hmean" → max); nil when
    /// the name says nothing. Words are compared whole, so "lossless_ratio" is not a loss.
    public static func infer(from name: String) -> MetricDirection? {
        let words = name.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
        for word in words.reversed() {
            if lowerIsBetter.contains(word) { return .min }
            if higherIsBetter.contains(word) { return .max }
        }
        return nil
    }

    public func isBetter(_ candidate: Double, than reference: Double) -> Bool {
        switch self {
        case .max: return candidate > reference
        case .min: return candidate < reference
        }
    }
}
