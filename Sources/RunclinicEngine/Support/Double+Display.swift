import Foundation

extension Double {
    /// Two decimals for the values people read at a glance (scores, most losses), three
    /// significant digits for the very small or large: "0.89", "0.0123".
    public var displayValue: String {
        guard isFinite else { return shortDescription }
        let magnitude = abs(self)
        if magnitude >= 0.095 && magnitude < 100 { return printed("%.2f") }
        return printed("%.3g")
    }

    /// The C library's printf of one double: what String(format:) gives, without its
    /// CoreFoundation round trip (messages are built on the monitor's hot path).
    func printed(_ format: String) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 64) { buffer in
            _ = withVaList([self]) { vsnprintf(buffer.baseAddress, 64, format, $0) }
            return String(cString: buffer.baseAddress!)
        }
    }
}
