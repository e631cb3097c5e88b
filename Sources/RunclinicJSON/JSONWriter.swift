/// Writes JSON compactly. Non-finite doubles come out as the tokens `NaN`, `Infinity` and
/// `-Infinity`, which Python's `json` module reads back, or, for readers that refuse them
/// (`JSON.parse`), as the strings "NaN", "Infinity" and "-Infinity".
public struct JSONWriter {
    public enum NonFiniteNumbers: Sendable {
        case tokens
        case strings
    }

    public private(set) var bytes: [UInt8] = []
    public var nonFinite: NonFiniteNumbers

    public init(reservingCapacity capacity: Int = 256, nonFinite: NonFiniteNumbers = .tokens) {
        bytes.reserveCapacity(capacity)
        self.nonFinite = nonFinite
    }

    public static func encode(_ value: JSONValue, nonFinite: NonFiniteNumbers = .tokens) -> [UInt8] {
        var writer = JSONWriter(nonFinite: nonFinite)
        writer.write(value)
        return writer.bytes
    }

    public static func string(_ value: JSONValue) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }

    /// Indented by two spaces per level, for files people read.
    public static func string(_ value: JSONValue, pretty: Bool) -> String {
        guard pretty else { return string(value) }
        var writer = JSONWriter()
        writer.writeIndented(value, depth: 0)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    mutating func writeIndented(_ value: JSONValue, depth: Int) {
        func newline(_ level: Int) {
            bytes.append(UInt8(ascii: "\n"))
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
        }
        switch value {
        case .array(let elements) where !elements.isEmpty:
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                writeIndented(element, depth: depth + 1)
            }
            newline(depth)
            bytes.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            bytes.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in object {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                newline(depth + 1)
                writeString(key)
                bytes.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
                writeIndented(member, depth: depth + 1)
            }
            newline(depth)
            bytes.append(UInt8(ascii: "}"))
        default:
            write(value)
        }
    }

    public mutating func write(_ value: JSONValue) {
        switch value {
        case .null: append("null")
        case .bool(let flag): append(flag ? "true" : "false")
        case .int(let number): append(String(number))
        case .double(let number): writeDouble(number)
        case .literal(let text): append(text)
        case .string(let text): writeString(text)
        case .array(let elements):
            bytes.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in object {
                if !first { bytes.append(UInt8(ascii: ",")) }
                first = false
                writeString(key)
                bytes.append(UInt8(ascii: ":"))
                write(member)
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    public mutating func writeDouble(_ number: Double) {
        if !number.isFinite {
            let token = number.isNaN ? "NaN" : number < 0 ? "-Infinity" : "Infinity"
            append(nonFinite == .tokens ? token : "\"\(token)\"")
        } else {
            // Swift prints the shortest representation that reads back to the same Double.
            append(number.description)
        }
    }

    public mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        // Runs of bytes that need no escape are copied whole: long plain strings (base64 blobs,
        // paths) cost a copy, not a branch per byte.
        text.withUTF8 { utf8 in
            var plain = 0
            for index in utf8.indices where utf8[index] < 0x20 || utf8[index] == 0x22 || utf8[index] == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plain..<index]))
                appendEscaped(utf8[index])
                plain = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plain...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): append("\\\"")
        case UInt8(ascii: "\\"): append("\\\\")
        case 0x0A: append("\\n")
        case 0x0D: append("\\r")
        case 0x09: append("\\t")
        case 0x08: append("\\b")
        case 0x0C: append("\\f")
        default:
            append("\\u00")
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0xF)])
        }
    }

    /// Appends bytes that are already JSON (a cached fragment).
    public mutating func writeRaw(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
    }

    @inline(__always) private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
