/// A source file that cannot be read as its format: where, and why.
public struct ImportSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    /// Byte offset in the file (nil when the problem is not at a place in it).
    public let offset: Int?
    public let reason: String

    public init(file: String, offset: Int?, reason: String) {
        self.file = file
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        "\(file)\(offset.map { " at byte \($0)" } ?? ""): \(reason)"
    }
}
