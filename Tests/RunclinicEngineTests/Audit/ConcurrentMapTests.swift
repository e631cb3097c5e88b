import Testing

@testable import RunclinicEngine

/// The near-duplicate check aligns its candidates on every core and judges them in order, so
/// concurrentMap must answer as map does, element for element.
@Suite struct ConcurrentMapTests {
    @Test(arguments: [0, 1, 2, 3, 17, 1000])
    func answersAsMapDoes(count: Int) {
        let numbers = (0..<count).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        // Uneven work per element, so iterations finish out of order.
        let work: @Sendable (UInt64) -> String = { value in
            var mixed = value
            for _ in 0..<(value % 997) { mixed = mixed &* 6_364_136_223_846_793_005 &+ 1 }
            return String(mixed, radix: 16)
        }
        #expect(numbers.concurrentMap(work) == numbers.map(work))
    }
}
