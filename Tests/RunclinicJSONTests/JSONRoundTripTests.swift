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

    @Test func stringsEscapeControlCharactersAndKeepUnicode() throws {
        let text = "tab\tquote\"back\\slash\u{01}é😀"
        let written = JSONWriter.string(.string(text))
        #expect(written == "\"tab\\tquote\\\"back\\\\slash\\u0001é😀\"")
        #expect(try JSONParser.parse(written) == .string(text))
        #expect(try JSONParser.parse(#""\ud83d\ude00 \u00e9""#) == .string("😀 é"))
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
