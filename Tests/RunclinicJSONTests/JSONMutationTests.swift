import Foundation
import Testing

@testable import RunclinicJSON

/// Mutated JSON (flipped, dropped, duplicated and random bytes from a fixed seed) never crashes the
/// parser, and whatever parses writes back to JSON that parses to the same value.
@Suite struct JSONMutationTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func mutatedDocumentsParseOrFailCleanly() throws {
        let seeds =
            JSONTestSuiteConformanceTests.cases(prefix: "y_").compactMap {
                try? JSONTestSuiteConformanceTests.bytes(of: $0)
            }
            + [
                Array(
                    #"{"jsonrpc":"2.0","method":"monitor.log","params":{"run":1,"step":5,"metrics":{"loss":NaN,"acc":0.5}}}"#
                        .utf8)
            ]
        var random = SplitMix(state: 2026)
        var parsed = 0
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0...Int.random(in: 0..<4, using: &random) {
                let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where !bytes.isEmpty: bytes[position] = UInt8.random(in: 0...255, using: &random)
                case 1 where !bytes.isEmpty: bytes.remove(at: position)
                case 2: bytes.insert(Array("[]{}\",:0eE.-+\\tnNI".utf8).randomElement(using: &random)!, at: position)
                default: bytes.insert(contentsOf: bytes.prefix(8), at: position)
                }
            }
            guard let value = try? JSONParser.parse(bytes) else { continue }
            parsed += 1
            #expect(try JSONParser.parse(JSONWriter.encode(value)) == value)
        }
        #expect(parsed > 1_000)
    }
}
