import RunclinicJSON

/// The limits each check uses. Defaults, and why:
public struct ImageQualityThresholds: Sendable, Equatable {
    /// The handbook's ImageQualityFilter: text detectors need at least 100x100 pixels.
    public var minimumWidth = 100
    public var minimumHeight = 100
    /// Refused from the header, unread: a decompression bomb claims billions of pixels.
    public var maximumPixels = 100_000_000
    /// Receipts and tall pages run to about 1:4.5; past 1:5.5 an image is a strip.
    public var maximumAspectRatio = 5.5
    /// Laplacian variance of the image's sharpest regions (the 95th percentile of 64x64 tiles with
    /// content) at 1,024 px, the handbook's blur_threshold measured where a photo is in focus.
    /// On the audit bench: blurred images 2-14, in-focus photos 79 and up, documents 900 and up.
    /// Only judged where there is content (entropy over 3 bits), so a flat clean page is not blurry.
    public var blurThreshold = 20.0
    /// ...and under which that variance, as a share of the same regions' grey variance, says
    /// nothing is crisp at any contrast (in-focus photos 0.04 and up, blurred ones under 0.04).
    public var blurRatio = 0.05
    /// ...or, for an image as light as a washed-out one (a page whose ink a blur spread thin), the
    /// ratio under which it is blurred rather than washed out: blurred scans 0.05-0.11, washed-out
    /// pages and photos 0.14 and up.
    public var blurredPageRatio = 0.12
    /// ...or the blur effect (Crete et al. 2007) of its sharpest regions over which an image with
    /// little detail (Laplacian variance under 2x blur_threshold, under 0.2 of its contrast) is
    /// soft everywhere (0.15 less for a page, largely light and neutral paper): in-focus pages
    /// 0.25 at most, photos mostly under 0.45; a defocus disc of 3 px or more leaves a small photo
    /// at 0.37-0.74 and a page at 0.41 and up. (Not measured where `sharpness` is 400 or more, so
    /// this test stops at a blur_threshold of 200.)
    public var blurEffect = 0.55
    /// ...or, for a page (paper, and print counted or set in lines), the detail along its poorest
    /// direction over its richest (see `detail_anisotropy`) under which, with that direction the
    /// poorest in two fifths of its regions, it is shaken: a camera moved while its shutter was
    /// open. Print holds detail every way: pages of the tune halves in focus or defocused hold 0.26
    /// and up (a skewed scan 0.16), the same pages shaken by 1-2% of their frame 0.01-0.17.
    public var shakenAnisotropy = 0.15
    /// Mean brightness (0-255) under which an image with half its pixels black is dark. Photos
    /// darkened past use sit under 30; dim evening photos, and crops of a landscape's shadowed
    /// side, at 27-50 (a regenerated tune set called 13 such clean photos dark at 40).
    public var darkMean = 30.0
    /// Grey level under which the brightest 1% of a dark image must lie (CleanVision calls an
    /// image dark under 0.32 of white, 82, by this percentile alone). A photo underexposed, or
    /// darkened, loses its highlights with the rest; a night scene keeps its lights, its stars and
    /// its lit sky, and a moonlit or shadowed landscape its sunlit parts: as dark on average, it
    /// is not too dark to see.
    public var darkHighlight = 90.0
    /// Mean brightness over which an image with three quarters of its pixels white and almost
    /// none dark is washed out; a white page with text keeps its black ink, so it is not.
    public var overexposedMean = 225.0
    /// Share of a colour image's pixels at pure white (grey 254-255) over which, with no true black
    /// left, it is overexposed: highlights blown over a large part of the picture. On the audit
    /// bench's tune half, clean colour photos and pages held 0.053 at most (but for a product
    /// shot on white, 0.59, which keeps its shadows' black); washed-out ones up to 1.
    public var overexposedClippedShare = 0.15
    /// Share of a colour image's pixels at pure white over which, with its blacks lifted (nothing
    /// darker than grey 40) and a tenth of it bright, it is overexposed: both ends of its range
    /// lost, as a gain and an offset leave a darker picture. No clean image of the audit bench's
    /// tune half or the issue-4 set held 0.05 with its blacks lifted so.
    public var overexposedLiftedShare = 0.05
    /// Histogram entropy (bits) under which an image says almost nothing (for the dataset-wide
    /// checks: such an image's difference hash is not compared, unless it has edges or its
    /// thumbnail spans `minimumRange` grey levels or more).
    public var minimumEntropy = 1.5
    /// Grey levels between the darkest and brightest parts of the 48x48 thumbnail under which an
    /// edgeless image with little change of colour is near-uniform.
    public var minimumRange = 20.0
    /// Coarse detail (the 48x48 grid's Laplacian variance over its variance) under which a blurred
    /// or detail-less image without edges is blank rather than blurry, defocused past its own
    /// layout: on a regenerated tune half, photos defocused by 5-8% of their frame sit at
    /// 0.002-0.02, blurred photos and pages (0.4-0.9%) at 0.04 and up, images in focus 0.3 and up.
    public var minimumCoarseDetail = 0.03
    /// Mean difference between colour channels under which a colour image is really grey
    /// (desaturated photos 0-0.5 after JPEG; faded colour photos 3 and up).
    public var grayscaleColourfulness = 1.0
    /// Degrees the text lines of a document may lean before it is skewed (the handbook's
    /// max_rotation, which it puts at 15). 10 here: a flat scan tilts up to 2 degrees and a page
    /// photographed by hand reads up to about 9 with its perspective, while the skews that
    /// independent test sets plant (and text detectors start to miss) begin at 10-12.
    public var maximumRotation = 10.0

    public init() {}

    static let keys = [
        "min_resolution", "min_width", "min_height", "max_pixels", "max_aspect_ratio", "blur_threshold",
        "dark_mean", "dark_highlight", "overexposed_mean", "min_entropy", "grayscale_colourfulness", "max_rotation",
        "blur_ratio", "min_range", "blurred_page_ratio", "blur_effect", "min_coarse_detail",
        "overexposed_clipped_share", "overexposed_lifted_share", "shaken_anisotropy",
    ]

    /// Reads thresholds in snake case (the `thresholds` param, or a config file's `audit:` section).
    public static func parse(
        _ object: JSONObject?, path: String, base: ImageQualityThresholds = ImageQualityThresholds()
    )
        throws(ConfigurationError) -> ImageQualityThresholds
    {
        var thresholds = base
        for (key, value) in object ?? JSONObject() {
            let field = "\(path).\(key)"
            guard Self.keys.contains(key) else {
                throw ConfigurationError(
                    path: field, expected: "one of \(Self.keys.joined(separator: ", "))", got: "an unknown key")
            }
            guard let number = value.doubleValue, number.isFinite, number >= 0 else {
                throw ConfigurationError(path: field, expected: "a non-negative number", got: JSONWriter.string(value))
            }
            switch key {
            case "min_resolution":
                thresholds.minimumWidth = Int(number)
                thresholds.minimumHeight = Int(number)
            case "min_width": thresholds.minimumWidth = Int(number)
            case "min_height": thresholds.minimumHeight = Int(number)
            case "max_pixels": thresholds.maximumPixels = Int(number)
            case "max_aspect_ratio": thresholds.maximumAspectRatio = number
            case "blur_threshold": thresholds.blurThreshold = number
            case "dark_mean": thresholds.darkMean = number
            case "dark_highlight": thresholds.darkHighlight = number
            case "overexposed_mean": thresholds.overexposedMean = number
            case "min_entropy": thresholds.minimumEntropy = number
            case "max_rotation": thresholds.maximumRotation = number
            case "blur_ratio": thresholds.blurRatio = number
            case "blurred_page_ratio": thresholds.blurredPageRatio = number
            case "blur_effect": thresholds.blurEffect = number
            case "min_range": thresholds.minimumRange = number
            case "min_coarse_detail": thresholds.minimumCoarseDetail = number
            case "overexposed_clipped_share": thresholds.overexposedClippedShare = number
            case "overexposed_lifted_share": thresholds.overexposedLiftedShare = number
            case "shaken_anisotropy": thresholds.shakenAnisotropy = number
            default: thresholds.grayscaleColourfulness = number
            }
        }
        return thresholds
    }
}
