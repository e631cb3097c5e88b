/// How many of an audit's images the orientation check could judge. Which way up an image stands
/// is read from its text lines (TextOrientation); a photograph without text, or text of capitals
/// and digits alone (the same either way up), does not say, and the check does not guess: such
/// images are counted as uncertain rather than passed as upright.
public struct OrientationCoverage: Sendable, Equatable {
    /// Images whose text lines say which way up they stand (upright or not).
    public private(set) var judged = 0
    /// Decoded images whose orientation is not judged: no text lines, or lines that do not say
    /// which way up (a quarter turn of those is still reported, with its direction uncertain).
    public private(set) var uncertain = 0

    public init() {}

    mutating func count(_ measures: ImageMeasures?) {
        guard let measures else { return }  // not decoded: nothing to judge
        if TextOrientation(measures.pageLines)?.turn != nil { judged += 1 } else { uncertain += 1 }
    }
}
