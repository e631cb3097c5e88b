#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A strict RFC 8259 parser, plus the three non-finite tokens Python's `json` module writes
/// (`NaN`, `Infinity`, `-Infinity`). Works directly on bytes; nesting is bounded so a hostile
/// document cannot exhaust the stack.
public struct JSONParser {
    /// Deeper documents are refused rather than risking the stack of a connection thread.
    public static let defaultMaximumDepth = 512

    public static func parse(_ bytes: [UInt8], maximumDepth: Int = defaultMaximumDepth) throws(JSONParseError)
        -> JSONValue
    {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            try parse(UnsafeRawBufferPointer(buffer), maximumDepth: maximumDepth)
        }
    }

    public static func parse(_ text: String, maximumDepth: Int = defaultMaximumDepth) throws(JSONParseError)
        -> JSONValue
    {
        try parse(Array(text.utf8), maximumDepth: maximumDepth)
    }

    public static func parse(_ buffer: UnsafeRawBufferPointer, maximumDepth: Int = defaultMaximumDepth)
        throws(JSONParseError) -> JSONValue
    {
        var parser = JSONParser(buffer: buffer, maximumDepth: maximumDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position != parser.buffer.count {
            throw JSONParseError("unexpected data after the JSON value", at: parser.position)
        }
        return value
    }

    private let buffer: UnsafeRawBufferPointer
    private let maximumDepth: Int
    private var position = 0
    /// The members of the objects being read, innermost last: each object takes its own off the
    /// top into one array of its exact size (appending to each object grew it 1, 2, 4, 8: three
    /// allocations and copies for a message's small objects).
    private var openMembers: [(key: String, value: JSONValue)] = []

    private init(buffer: UnsafeRawBufferPointer, maximumDepth: Int) {
        self.buffer = buffer
        self.maximumDepth = maximumDepth
        openMembers.reserveCapacity(16)
    }

    @inline(__always) private var current: UInt8? {
        position < buffer.count ? buffer[position] : nil
    }

    @inline(__always) private mutating func skipWhitespace() {
        while position < buffer.count {
            switch buffer[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard let byte = current else { throw JSONParseError("unexpected end of input", at: position) }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "N"):
            try expectLiteral("NaN")
            return .double(.nan)
        case UInt8(ascii: "I"):
            try expectLiteral("Infinity")
            return .double(.infinity)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw JSONParseError("unexpected character '\(printable(byte))'", at: position)
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let start = position
        let length = literal.utf8CodeUnitCount
        guard buffer.count - position >= length else {
            throw JSONParseError("invalid literal", at: start)
        }
        let expected = literal.utf8Start
        for index in 0..<length where buffer[position + index] != expected[index] {
            throw JSONParseError("invalid literal", at: start)
        }
        position += length
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > maximumDepth { throw JSONParseError("nesting deeper than \(maximumDepth) levels", at: position) }
        position += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(JSONObject())
        }
        let base = openMembers.count
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else {
                throw JSONParseError("expected a string key", at: position)
            }
            let key = try parseString()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw JSONParseError("expected ':'", at: position) }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            openMembers.append((key, value))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                let object = JSONObject(uncheckedMembers: openMembers[base...])
                openMembers.removeSubrange(base...)
                return .object(object)
            case nil: throw JSONParseError("unterminated object", at: position)
            default: throw JSONParseError("expected ',' or '}'", at: position)
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > maximumDepth { throw JSONParseError("nesting deeper than \(maximumDepth) levels", at: position) }
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            // A long array is counted to its end once, and sized exactly: growing by doubling
            // would hold up to twice its values (memory per message stays under 10x its size).
            if elements.count == Self.exactSizingFrom {
                elements.reserveCapacity(elements.count + countElements(from: position))
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            case nil: throw JSONParseError("unterminated array", at: position)
            default: throw JSONParseError("expected ',' or ']'", at: position)
            }
        }
    }

    static let exactSizingFrom = 4096

    /// How many more elements the array being parsed has after `start` (a cheap scan that only
    /// tracks nesting and strings; the parse that follows checks the grammar).
    private func countElements(from start: Int) -> Int {
        var index = start
        var depth = 0
        var count = 0
        while index < buffer.count {
            switch buffer[index] {
            case UInt8(ascii: "\""):
                index += 1
                while index < buffer.count, buffer[index] != UInt8(ascii: "\"") {
                    index += buffer[index] == UInt8(ascii: "\\") ? 2 : 1
                }
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth == 0 { return count }
                depth -= 1
            case UInt8(ascii: ","): if depth == 0 { count += 1 }
            default: break
            }
            index += 1
        }
        return count
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        let start = position
        position += 1
        // Fast path: no escapes, so the bytes are the string (after UTF-8 validation).
        var index = position
        var isASCII = true
        while index < buffer.count {
            let byte = buffer[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeRawBufferPointer(rebasing: buffer[position..<index]).bindMemory(to: UInt8.self)
                // ASCII needs no validation, and String(validating:) is slow enough to matter here.
                let string: String
                if isASCII {
                    string = String(decoding: slice, as: UTF8.self)
                } else {
                    guard let validated = String(validating: slice, as: UTF8.self) else {
                        throw JSONParseError("invalid UTF-8 in string", at: start)
                    }
                    string = validated
                }
                position = index + 1
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw JSONParseError("control character in string", at: index) }
            if byte >= 0x80 { isASCII = false }
            index += 1
        }
        if index >= buffer.count { throw JSONParseError("unterminated string", at: start) }
        return try parseEscapedString(start: start)
    }

    private mutating func parseEscapedString(start: Int) throws(JSONParseError) -> String {
        var bytes: [UInt8] = []
        while true {
            guard position < buffer.count else { throw JSONParseError("unterminated string", at: start) }
            let byte = buffer[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let string = String(validating: bytes, as: UTF8.self) else {
                    throw JSONParseError("invalid UTF-8 in string", at: start)
                }
                return string
            case UInt8(ascii: "\\"):
                position += 1
                guard let escape = current else { throw JSONParseError("unterminated string", at: start) }
                position += 1
                switch escape {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"): try appendUnicodeEscape(to: &bytes)
                default: throw JSONParseError("invalid escape '\\\(printable(escape))'", at: position - 2)
                }
            default:
                if byte < 0x20 { throw JSONParseError("control character in string", at: position) }
                bytes.append(byte)
                position += 1
            }
        }
    }

    private mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard buffer.count - position >= 4 else { throw JSONParseError("truncated \\u escape", at: position) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = buffer[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONParseError("invalid hex digit in \\u escape", at: position)
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    /// A lone surrogate (which JSON allows but Unicode text cannot hold) becomes `loneSurrogate`, so
    /// that "q\ud800" and "q\udfff" are not both "q\u{FFFD}": a reader that must keep text exactly
    /// (a run's name) can refuse it.
    /// U+FDD0, a noncharacter: Unicode keeps it for a program's internal use, never for text.
    public static let loneSurrogate = Unicode.Scalar(0xFDD0 as UInt32)!

    private mutating func appendUnicodeEscape(to bytes: inout [UInt8]) throws(JSONParseError) {
        var scalarValue = try readHex4()
        if (0xD800...0xDBFF).contains(scalarValue) {
            if buffer.count - position >= 6, buffer[position] == UInt8(ascii: "\\"),
                buffer[position + 1] == UInt8(ascii: "u")
            {
                let saved = position
                position += 2
                let low = try readHex4()
                if (0xDC00...0xDFFF).contains(low) {
                    scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    position = saved
                    scalarValue = Self.loneSurrogate.value
                }
            } else {
                scalarValue = Self.loneSurrogate.value
            }
        } else if (0xDC00...0xDFFF).contains(scalarValue) {
            scalarValue = Self.loneSurrogate.value
        }
        let scalar = Unicode.Scalar(scalarValue) ?? "\u{FFFD}"
        bytes.append(contentsOf: UTF8.encode(scalar)!)
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        var negative = false
        if current == UInt8(ascii: "-") {
            negative = true
            position += 1
            if current == UInt8(ascii: "I") {
                try expectLiteral("Infinity")
                return .double(-.infinity)
            }
        }
        guard let first = current, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else {
            throw JSONParseError("invalid number", at: start)
        }
        var integer: UInt64 = 0
        var overflow = false
        if first == UInt8(ascii: "0") {
            position += 1
        } else {
            _ = readDigits(onto: &integer, overflow: &overflow)
        }
        var isInteger = true
        // The digits without the point, and the power of ten that scales them.
        var mantissa = integer
        var fractionDigits = 0
        var exponent = 0
        if current == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw JSONParseError("invalid number: digit expected after '.'", at: position)
            }
            fractionDigits = readDigits(onto: &mantissa, overflow: &overflow)
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            var exponentSign = 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") {
                if current == UInt8(ascii: "-") { exponentSign = -1 }
                position += 1
            }
            guard let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw JSONParseError("invalid number: digit expected in exponent", at: position)
            }
            var magnitude = 0
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                magnitude = min(magnitude * 10 + Int(byte - UInt8(ascii: "0")), 1 << 20)
                position += 1
            }
            exponent = exponentSign * magnitude
        }
        if isInteger && !overflow {
            if negative {
                if integer <= UInt64(Int64.max) { return .int(-Int64(integer)) }
                if integer == UInt64(Int64.max) + 1 { return .int(Int64.min) }
            } else if integer <= UInt64(Int64.max) {
                return .int(Int64(integer))
            }
        }
        if !isInteger, !overflow, let exact = Self.exactDouble(mantissa, timesTenTo: exponent - fractionDigits) {
            return .double(negative ? -exact : exact)
        }
        let number = try convertToDouble(from: start, to: position)
        // Kept as written where a Double would change it: 12345678901234567890, 1e400, 1e-400.
        if isInteger || number.isInfinite || (number == 0 && hasNonZeroDigit(from: start, to: position)) {
            return .literal(String(decoding: buffer[start..<position], as: UTF8.self))
        }
        return .double(number)
    }

    /// Reads decimal digits onto `value` (times ten plus the digit, each); returns how many.
    /// `overflow` is set once the value passes 64 bits (the number is then read by strtod).
    @inline(__always) private mutating func readDigits(onto value: inout UInt64, overflow: inout Bool) -> Int {
        let start = position
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if o1 || o2 { overflow = true }
            value = sum
            position += 1
        }
        return position - start
    }

    /// Powers of ten that a Double holds exactly.
    private static let exactPowersOfTen: [Double] = (0...22).map(pow10)

    private static func pow10(_ exponent: Int) -> Double {
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }  // exact: every product up to 1e22 is a Double
        return value
    }

    /// Clinger's fast path: digits up to 2^53 and a power of ten up to 22 are both exact Doubles, so
    /// one correctly rounded multiplication or division gives the correctly rounded value, with no
    /// strtod (a fifth of parsing a logged step). nil when the path does not apply.
    private static func exactDouble(_ digits: UInt64, timesTenTo power: Int) -> Double? {
        guard digits <= 1 << 53, power >= -22, power <= 22 else { return nil }
        let value = Double(digits)
        return power < 0 ? value / exactPowersOfTen[-power] : value * exactPowersOfTen[power]
    }

    /// Whether the mantissa of the number literal at `start..<end` has a digit other than 0.
    private func hasNonZeroDigit(from start: Int, to end: Int) -> Bool {
        for index in start..<end {
            let byte = buffer[index]
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { return false }
            if byte >= UInt8(ascii: "1") && byte <= UInt8(ascii: "9") { return true }
        }
        return false
    }

    /// strtod on a NUL-terminated copy: correctly rounded, and the grammar was already checked.
    private func convertToDouble(from start: Int, to end: Int) throws(JSONParseError) -> Double {
        let length = end - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { scratch in
            for index in 0..<length { scratch[index] = CChar(bitPattern: buffer[start + index]) }
            scratch[length] = 0
            return strtod(scratch.baseAddress!, nil)
        }
    }

    private func printable(_ byte: UInt8) -> String {
        (0x20..<0x7F).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}
