import CDescriptorMatching
import Testing

/// The nearest-descriptor search (eight candidates at a time where the processor counts bits in
/// vectors, one at a time elsewhere) answers as the plain search does: the first of the least
/// Hamming distance, and the second least of all distances.
@Suite struct DescriptorMatchingTests {
    /// The plain search, written out: what every path of rc_nearest_descriptors must answer.
    static func reference(_ first: [UInt8], _ second: [UInt8]) -> [(Int32, Int32, Int32)] {
        let (firstCount, secondCount) = (first.count / 32, second.count / 32)
        return (0..<firstCount).map { i in
            var (best, runnerUp, index): (Int32, Int32, Int32) = (257, 257, -1)
            for j in 0..<secondCount {
                var distance: Int32 = 0
                for byte in 0..<32 { distance += Int32((first[32 * i + byte] ^ second[32 * j + byte]).nonzeroBitCount) }
                if distance < best {
                    (runnerUp, best, index) = (best, distance, Int32(j))
                } else if distance < runnerUp {
                    runnerUp = distance
                }
            }
            return (index, best, runnerUp)
        }
    }

    /// Descriptors of few set bits tie often; random ones rarely.
    static func descriptors(_ count: Int, sparse: Bool, state: inout UInt64) -> [UInt8] {
        (0..<(32 * count)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = UInt8(truncatingIfNeeded: state >> 56)
            return sparse ? (value & 3 == 0 ? 1 << (value >> 5) : 0) : value
        }
    }

    @Test(arguments: [0, 1, 7, 8, 9, 16, 23, 130, 513, 700])
    func answersAsThePlainSearch(candidates: Int) {
        var state = UInt64(candidates) &+ 11
        for sparse in [true, false] {
            let first = Self.descriptors(90, sparse: sparse, state: &state)
            let second = Self.descriptors(candidates, sparse: sparse, state: &state)
            var nearest = [Int32](repeating: -9, count: 90)
            var distance = [Int32](repeating: -9, count: 90)
            var runnerUp = [Int32](repeating: -9, count: 90)
            rc_nearest_descriptors(first, 90, second, Int32(candidates), &nearest, &distance, &runnerUp)
            let expected = Self.reference(first, second)
            #expect(nearest == expected.map(\.0), "sparse \(sparse)")
            #expect(distance == expected.map(\.1), "sparse \(sparse)")
            #expect(runnerUp == expected.map(\.2), "sparse \(sparse)")
        }
    }
}
