/// The limits each check uses. Defaults, and why:
public struct ImageQualityThresholds: Sendable, Equatable {
    /// The handbook's ImageQualityFilter: text detectors need at least 100x100 pixels.
    public var minimumWidth = 100
    public var minimumHeight = 100
    /// Refused from the header, unread: a decompression bomb claims billions of pixels.
    public var maximumPixels = 100_000_000
    /// Receipts run to about 1:4; past 1:8 an image is a strip, not a document.
    public var maximumAspectRatio = 8.0
    /// Laplacian variance on the image scaled to 1,024 px (so resolution does not matter), the
    /// handbook's blur_threshold; only judged where there is content (entropy over 3 bits), so a
    /// flat clean page is not "blurry".
    public var blurThreshold = 100.0
    /// Mean brightness (0-255) under which an image with half its pixels black is dark.
    public var darkMean = 50.0
    /// Mean brightness over which an image with three quarters of its pixels white and little
    /// left in it (entropy under 2.5 bits) is washed out; a white page with text keeps its entropy.
    public var overexposedMean = 225.0
    /// Histogram entropy (bits) under which an image says almost nothing.
    public var minimumEntropy = 1.5
    /// Mean difference between colour channels under which a colour image is really grey.
    public var grayscaleColourfulness = 2.0

    public init() {}
}
