import Foundation
import Testing

@testable import RunclinicJSON

@Suite struct JSONRoundTripTests {
    @Test func nonFiniteNumbersAreReadAndWrittenLikePython() throws {
        let value = try JSONParser.parse(#"{"loss": NaN, "hi": Infinity, "lo": -Infinity}"#)
        #expect(value["loss"]?.doubleValue?.isNaN == true)
        #expect(value["hi"]?.doubleValue == .infinity)
        #expect(value["lo"]?.doubleValue == -.infinity)
        #expect(JSONWriter.string(value) == #"{"loss":NaN,"hi":Infinity,"lo":-Infinity}"#)
        // For readers that refuse the tokens (JSON.parse): strings, which numberValue reads back.
        let strict = String(decoding: JSONWriter.encode(value, nonFinite: .strings), as: UTF8.self)
        #expect(strict == #"{"loss":"NaN","hi":"Infinity","lo":"-Infinity"}"#)
        let reread = try JSONParser.parse(strict)
        #expect(reread["loss"]?.numberValue?.isNaN == true && reread["lo"]?.numberValue == -.infinity)
        #expect(reread["loss"]?.doubleValue == nil)
    }

    @Test func aValueADoubleCannotHoldIsKeptAsWritten() throws {
        let value = try JSONParser.parse("[1e-400, -1e400, 0e-400, 0.0000e5, 1e308]")
        let elements = try #require(value.arrayValue)
        #expect(elements[0] == .literal("1e-400") && elements[0].intValue == nil)
        #expect(elements[1] == .literal("-1e400") && elements[1].doubleValue == -.infinity)
        #expect(elements[2] == .double(0) && elements[3] == .double(0) && elements[4] == .double(1e308))
    }

    @Test func integersStayExactAndDoublesRoundTrip() throws {
        let value = try JSONParser.parse(
            "[9223372036854775807, -9223372036854775808, 18446744073709551616, 0.1, 1e-7, -0.0, 2.5e300]")
        let elements = try #require(value.arrayValue)
        #expect(elements[0] == .int(Int64.max))
        #expect(elements[1] == .int(Int64.min))
        // Beyond 64 bits a literal is kept as written (an id comes back exactly), and reads as a Double.
        #expect(elements[2] == .literal("18446744073709551616"))
        #expect(elements[2].doubleValue == 18_446_744_073_709_551_616)
        #expect(elements[2].intValue == nil)
        #expect(JSONWriter.string(elements[2]) == "18446744073709551616")
        for element in elements.dropFirst(3) {
            let reparsed = try JSONParser.parse(JSONWriter.string(element))
            #expect(reparsed.doubleValue?.bitPattern == element.doubleValue?.bitPattern)
        }
    }

    /// The parser reads short decimals without strtod: it must agree with it bit for bit, on the
    /// fast path's edges (2^53, 1e22, negative zero) and on random values written as Python does.
    @Test func decimalsReadExactlyAsStrtodReadsThem() throws {
        var texts = [
            "9007199254740992.0", "9007199254740993.0", "9007199254740991e22", "1e22", "1e23", "1.0e-22",
            "123456789012345678e-5", "0.1", "0.3", "-0.0", "5e-324", "2.2250738585072014e-308",
            "1.7976931348623157e308",
            "0.000000000000000000000000000001", "4.35", "1.1e-22", "9007199254740993e-22",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let value = Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF)
            texts.append("\(value)")
            let scale = Double(Int.random(in: -20...20, using: &generator))
            let short = (Double.random(in: 0..<1, using: &generator) * 1e6).rounded() * pow(10, scale)
            texts.append("\(short)")
            texts.append(String(format: "%.*g", Int.random(in: 1...17, using: &generator), short))
        }
        for text in texts where text.contains(".") || text.contains("e") {
            let parsed = try JSONParser.parse(text)
            let expected = try #require(Double(text), "\(text)")
            #expect(parsed.doubleValue?.bitPattern == expected.bitPattern, "\(text)")
        }
    }

    @Test func stringsEscapeControlCharactersAndKeepUnicode() throws {
        let text = "tab\tquote\"back\\slash\u{01}é😀"
        let written = JSONWriter.string(.string(text))
        #expect(written == "\"tab\\tquote\\\"back\\\\slash\\u0001é😀\"")
        #expect(try JSONParser.parse(written) == .string(text))
        #expect(try JSONParser.parse(#""\ud83d\ude00 \u00e9""#) == .string("😀 é"))
    }

    @Test func everyCharacterThatNeedsAnEscapeGetsOneWhereverItStands() throws {
        // First, last, doubled and between plain runs: the writer copies plain runs whole.
        for scalar in (0..<0x20).map({ Unicode.Scalar($0)! }) + ["\"", "\\"] {
            let escape: String
            switch scalar {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case "\u{08}": escape = "\\b"
            case "\u{0C}": escape = "\\f"
            default: escape = String(format: "\\u%04x", scalar.value)
            }
            let character = String(scalar)
            let text = character + "plain é" + character + character + "run" + character
            let written = JSONWriter.string(.string(text))
            #expect(written == "\"\(escape)plain é\(escape)\(escape)run\(escape)\"")
            #expect(try JSONParser.parse(written) == .string(text))
        }
        #expect(JSONWriter.string(.string("")) == "\"\"")
    }

    @Test func errorsSayWhere() {
        #expect(throws: JSONParseError("expected ',' or '}'", at: 8)) {
            _ = try JSONParser.parse(#"{"a": 1 "b": 2}"#)
        }
    }

    @Test func objectsKeepOrderAndLastDuplicateWins() throws {
        let value = try JSONParser.parse(#"{"z": 1, "a": 2, "z": 3}"#)
        #expect(value["z"] == .int(3))
        #expect(value.objectValue?.keys == ["z", "a", "z"])
    }
}
