import Foundation

extension Double {
    /// Two decimals for the values people read at a glance (scores, most losses), three
    /// significant digits for the very small or large: "0.89", "0.0123".
    public var displayValue: String {
        guard isFinite else { return shortDescription }
        let magnitude = abs(self)
        if magnitude >= 0.095 && magnitude < 100 { return String(format: "%.2f", self) }
        return String(format: "%.3g", self)
    }
}
