/// Running sums of a series (and of its squares), so any segment's sum is one subtraction. The
/// series is centred on its mean first: sums of squares of large values would lose precision.
struct PrefixSums: Sendable {
    let sums: [Double]
    let squares: [Double]
    let centre: Double

    init(_ values: [Double]) {
        centre = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        var sums = [Double](repeating: 0, count: values.count + 1)
        var squares = [Double](repeating: 0, count: values.count + 1)
        var sum = 0.0
        var square = 0.0
        for (index, value) in values.enumerated() {
            let centred = value - centre
            sum += centred
            square += centred * centred
            sums[index + 1] = sum
            squares[index + 1] = square
        }
        self.sums = sums
        self.squares = squares
    }

    /// The sum of squared deviations from the segment's own mean.
    @inline(__always) func scatter(_ start: Int, _ end: Int) -> Double {
        let length = Double(end - start)
        let sum = sums[end] - sums[start]
        return max(0, squares[end] - squares[start] - sum * sum / length)
    }
}
