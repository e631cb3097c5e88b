import Foundation
import Testing

@testable import RunclinicJSON

/// JSONTestSuite's parsing cases: every y_ accepted, every n_ rejected (but for the three
/// non-finite tokens Python writes), and no case crashes.
@Suite struct JSONTestSuiteConformanceTests {
    static let directory = FixturePaths.root.appendingPathComponent("JSONTestSuite/test_parsing")
    static let nonFiniteExceptions: Set<String> = [
        "n_number_NaN.json", "n_number_infinity.json", "n_number_minus_infinity.json",
    ]

    static func cases(prefix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }

    static func bytes(of name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    @Test func suiteIsPresent() {
        #expect(Self.cases(prefix: "y_").count == 95)
        #expect(Self.cases(prefix: "n_").count == 188)
        #expect(Self.cases(prefix: "i_").count == 35)
    }

    @Test(arguments: cases(prefix: "y_"))
    func accepts(_ name: String) throws {
        let input = try Self.bytes(of: name)
        #expect(throws: Never.self) { _ = try JSONParser.parse(input) }
    }

    @Test(arguments: cases(prefix: "n_"))
    func rejects(_ name: String) throws {
        let input = try Self.bytes(of: name)
        if Self.nonFiniteExceptions.contains(name) {
            let value = try JSONParser.parse(input)
            #expect(value.arrayValue?.first?.doubleValue?.isFinite == false)
        } else {
            #expect(throws: JSONParseError.self) { _ = try JSONParser.parse(input) }
        }
    }

    @Test(arguments: cases(prefix: "i_"))
    func implementationDefinedCasesDoNotCrash(_ name: String) throws {
        let input = try Self.bytes(of: name)
        _ = try? JSONParser.parse(input)
    }

    @Test func hundredThousandNestedBracketsAreRefusedQuickly() {
        let input = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONParseError.self) { _ = try JSONParser.parse(input) }
        let closed = input + [UInt8](repeating: UInt8(ascii: "]"), count: 100_000)
        #expect(throws: JSONParseError.self) { _ = try JSONParser.parse(closed) }
        let objects = [UInt8](String(repeating: "{\"a\":", count: 100_000).utf8)
        #expect(throws: JSONParseError.self) { _ = try JSONParser.parse(objects) }
    }
}
