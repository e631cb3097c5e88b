/// Numbers as logging tools write them in text: JSON (`NaN`, `Infinity`, `-Infinity` in Python's
/// dialect) and Python's `str(float)` (`nan`, `inf`, `-inf`). Every spelling is the shortest
/// round-trip form, so parsing it gives the logged double back bit for bit.
enum LoggedNumber {
    static func parse(_ text: Substring) -> Double? {
        guard let first = text.utf8.first else { return nil }
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            if let value = Double(text) { return value }
        default:
            break
        }
        switch text {
        case "nan", "NaN", "-nan", "NAN": return .nan
        case "inf", "Infinity", "+inf", "+Infinity", "INF", "infinity": return .infinity
        case "-inf", "-Infinity", "-INF", "-infinity": return -.infinity
        default: return nil
        }
    }

    static func parse(_ text: String) -> Double? { parse(Substring(text)) }

    /// A number held in bytes (a protobuf string field), without an intermediate copy when short.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Double? {
        parse(Substring(String(decoding: bytes, as: UTF8.self)))
    }
}
