/// The secret a dashboard's URL carries (as Jupyter's does): every HTTP request and WebSocket
/// must present it, so another user of the machine, or a web page in the user's own browser,
/// cannot read the runs.
public struct AccessToken: Sendable, Equatable, CustomStringConvertible {
    public let value: String

    public init(value: String) {
        self.value = value
    }

    /// 32 random bytes from the system's cryptographic generator, as hex.
    public static func random() -> AccessToken {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in
            let byte = UInt8.random(in: 0...255, using: &generator)
            return String(byte, radix: 16).leftPadded(to: 2)
        }
        return AccessToken(value: hex.joined())
    }

    /// Compares in time that does not depend on where the strings differ.
    public func matches(_ candidate: Substring?) -> Bool {
        guard let candidate else { return false }
        let expected = Array(value.utf8)
        let given = Array(candidate.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(expected, given) { difference |= left ^ right }
        return difference == 0
    }

    /// Never printed by accident in a log line.
    public var description: String { "AccessToken(…)" }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
