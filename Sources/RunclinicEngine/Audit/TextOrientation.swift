import Foundation

/// How a document lies, read from its text lines: turned a quarter (the lines run down the page)
/// and how far the lines lean from the nearest axis. Which way a quarter turn went (90 or 270
/// degrees), and whether a page is upside down, the line angle cannot tell (it is the same modulo
/// 180 degrees); a quarter turn is reported as such, and the direction as uncertain.
public struct TextOrientation: Sendable, Equatable {
    /// The lines run down the page: turned 90 or 270 degrees.
    public let sideways: Bool
    /// Degrees the lines lean from the nearest axis, clockwise positive, in [-45, 45).
    public let skew: Double

    /// A document needs enough characters agreeing on one line direction. Measured on the
    /// audit bench: rendered receipts and pages agree at 0.65-1.0, photographs at 0.16-0.31.
    static let minimumMarks = 40
    static let minimumAgreement = 0.5

    public init?(_ lines: TextLines?) {
        guard let lines, lines.marks >= Self.minimumMarks, lines.agreement >= Self.minimumAgreement else { return nil }
        let across = lines.angle < 45 || lines.angle >= 135
        sideways = !across
        skew = across ? (lines.angle < 45 ? lines.angle : lines.angle - 180) : lines.angle - 90
    }
}
