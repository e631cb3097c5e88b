import CImageInspectionAPI
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// OpenCV's measures of one decoded image (see image_inspection.h).
public struct ImageMeasures: Sendable {
    public let width: Int
    public let height: Int
    public let channels: Int
    public let laplacianVariance: Double
    /// Laplacian variance of the sharpest regions (95th percentile of 64x64 tiles with content).
    public let sharpness: Double
    public let edgeDensity: Double
    public let meanBrightness: Double
    public let darkFraction: Double
    public let brightFraction: Double
    public let entropy: Double
    /// Grey levels under which 0.1% and 99.9% of the pixels lie.
    public let darkestLevel: Double
    public let brightestLevel: Double
    public let colourfulness: Double
    public let differenceHash: UInt64
    /// 48x48 grey thumbnail, row by row, stretched to 0-255 (Data: base64 in JSON, where an array
    /// of numbers cost the worker and the server more than measuring the image did).
    public internal(set) var thumbnail: Data
    /// Grey levels the thumbnail spanned before stretching (its real contrast).
    public let thumbnailRange: Double
    /// Characters of a document with dark ink on light paper, counted at half the analysis side
    /// (see image_inspection.h); nil when the image is no such document.
    public let textMarks: Int?
    /// Text lines found against the local background, with how upright they stand: a page's
    /// orientation and lean, photographed or scanned (see image_inspection.h); nil otherwise.
    public let pageLines: PageLines?
    /// Sharpness relative to contrast (nil when no region has content), and the spread of colour
    /// across the image (see image_inspection.h).
    public let sharpnessRatio: Double?
    public let colourSpread: Double?
    /// How little of the sharpest regions' detail a further blur takes away, whatever their
    /// contrast (0 crisp, 1 soft; nil when no region has content, or when the Laplacian finds
    /// plenty of detail, `sharpness` 400 and up; see image_inspection.h).
    public let blurEffect: Double?
    /// Detail kept from a quarter of the analysis scale to half of it, in the regions with the
    /// most (see image_inspection.h): a picture in focus keeps it in proportion, a blur of a few
    /// pixels does not; nil when not measured (`sharpness` 100 and up: plenty of detail) and in
    /// earlier inspections.
    public var detailRetention: Double? = nil
    /// Detail along the direction that holds the least over the direction that holds the most,
    /// and the share of regions with content whose own least direction is that one (see
    /// image_inspection.h): both tell a camera shaken along one path; nil when no region has
    /// content, and in inspections made before they were measured.
    public var detailAnisotropy: Double? = nil
    public var anisotropicShare: Double? = nil
    /// Share of the image that is light, neutral paper (see image_inspection.h); nil in
    /// inspections made before it was measured.
    public let paperShare: Double?
    /// Detail left at 48x48 (see image_inspection.h): under a few hundredths after a defocus of a
    /// twentieth of the frame; nil in inspections made before it was measured.
    public let coarseDetail: Double?
    /// Share of pixels blown to white (grey 254-255; see image_inspection.h); nil in inspections
    /// made before it was measured.
    public let clippedFraction: Double?
    /// The grey level under which 99% of the pixels lie, the image's highlights (see
    /// image_inspection.h); nil in inspections made before it was measured.
    public let highlightLevel: Double?
    /// The outline of a sheet photographed on a table (see PageOutline); nil when there is none,
    /// and in inspections made before it was traced.
    public var pageOutline: PageOutline? = nil
    /// ORB keypoints (see ImageKeypoints), which align a cropped copy with its original; stored
    /// in a column of their own, like the thumbnail.
    public internal(set) var keypoints: Data?
}

/// The text lines of a page, found against its local background, and how upright they stand.
public struct PageLines: Sendable, Equatable {
    public let marks: Int
    /// Degrees in [0, 180), image coordinates (y down): 0 runs across, 90 runs down.
    public let angle: Double
    /// Share of nearest-neighbour directions within 12 degrees of the angle.
    public let agreement: Double
    /// Once the lines are level: (ink above their x-height bands - ink below) / all their ink:
    /// positive upright, negative upside down, near 0 for capitals and digits alone; nil when
    /// there are too few lines.
    public let upright: Double?
    /// Once the lines are level: how much more their right ends fall short of the right margin
    /// than their left ends stand off the left one, over the text's width: positive for text set
    /// from the left (upright), negative upside down; nil under 8 lines.
    public var alignment: Double? = nil
    /// Once the lines are level: the orientation network's mean logit over patches of the page's
    /// characters (text_orientation_model.h), positive when the text reads upside down, negative
    /// upright. Taken only where the ascenders do not settle it (see TextOrientation); nil elsewhere.
    public var upsideDown: Double? = nil
}

/// The OpenCV shim, loaded with dlopen on first use: linking it would load ~150 shared objects
/// at every start of the server, which a shell client may spawn per call.
public final class ImageMeasurer: Sendable {
    public let libraryPath: String
    public let openCVVersion: String
    private let measureFunction: rc_measure_image_function
    private let thumbnailFunction: rc_image_thumbnail_function

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case libraryMissing(String)
        case undecodable(String)
        case internalError(String)

        /// What a failing entry point's status (1 undecodable, 3 library missing, else internal) and
        /// its C message say.
        init<Message>(status: Int32, error: inout Message) {
            let detail = withUnsafeBytes(of: &error) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            switch status {
            case 1: self = .undecodable(detail)
            case 3: self = .libraryMissing(detail)
            default: self = .internalError(detail)
            }
        }

        public var description: String {
            switch self {
            case .libraryMissing(let detail): return "the image library cannot be loaded: \(detail)"
            case .undecodable(let detail): return detail
            case .internalError(let detail): return "image inspection failed: \(detail)"
            }
        }
    }

    public static let libraryName = "libRunclinicImageInspection.so"

    /// The shared measurer; loading is attempted once.
    public static func shared() throws(Failure) -> ImageMeasurer {
        switch loaded {
        case .success(let measurer): return measurer
        case .failure(let failure): throw failure
        }
    }

    private static let loaded: Result<ImageMeasurer, Failure> = {
        var tried: [String] = []
        for candidate in candidatePaths() {
            tried.append(candidate)
            guard let handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL) else { continue }
            guard let measure = dlsym(handle, "rc_measure_image"), let version = dlsym(handle, "rc_opencv_version"),
                let thumbnail = dlsym(handle, "rc_image_thumbnail")
            else {
                return .failure(.libraryMissing("\(candidate) lacks the rc_ entry points"))
            }
            let versionFunction = unsafeBitCast(version, to: rc_opencv_version_function.self)
            return .success(
                ImageMeasurer(
                    libraryPath: candidate, openCVVersion: versionFunction().map { String(cString: $0) } ?? "?",
                    measureFunction: unsafeBitCast(measure, to: rc_measure_image_function.self),
                    thumbnailFunction: unsafeBitCast(thumbnail, to: rc_image_thumbnail_function.self)))
        }
        let reason = dlerror().map { String(cString: $0) } ?? "not found"
        return .failure(.libraryMissing("tried \(tried.joined(separator: ", ")): \(reason)"))
    }()

    /// $RUNCLINIC_IMAGE_LIBRARY, then beside the running binary, then the loader's search path.
    static func candidatePaths() -> [String] {
        var paths: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["RUNCLINIC_IMAGE_LIBRARY"], !explicit.isEmpty {
            paths.append(explicit)
        }
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let directory = (executable as NSString).deletingLastPathComponent
            paths.append((directory as NSString).appendingPathComponent(libraryName))
            paths.append(
                ((directory as NSString).deletingLastPathComponent as NSString).appendingPathComponent(libraryName))
        }
        paths.append(libraryName)
        return paths
    }

    private init(
        libraryPath: String, openCVVersion: String, measureFunction: @escaping rc_measure_image_function,
        thumbnailFunction: @escaping rc_image_thumbnail_function
    ) {
        self.libraryPath = libraryPath
        self.openCVVersion = openCVVersion
        self.measureFunction = measureFunction
        self.thumbnailFunction = thumbnailFunction
    }

    /// A colour picture of the image for people to look at, at most `side` pixels (16-512) on its
    /// longer side, as a JPEG: decoded as the audit decodes it, pixels as stored.
    public func thumbnail(path: String, side: Int) throws(Failure) -> [UInt8] {
        var result = rc_thumbnail()
        let side = min(512, max(16, side))
        // Room for any picture, noise included (see rc_image_thumbnail).
        var jpeg = [UInt8](repeating: 0, count: side * side * 3 + (1 << 16))
        let capacity = Int32(jpeg.count)
        let status = jpeg.withUnsafeMutableBufferPointer { buffer in
            thumbnailFunction(path, Int32(side), buffer.baseAddress, capacity, &result)
        }
        switch status {
        case 0: return Array(jpeg.prefix(Int(result.size)))
        default: throw Failure(status: status, error: &result.error)
        }
    }

    /// Decodes and measures one image; measures are taken at most `analysisSide` pixels wide.
    /// `header` (when known) lets a large JPEG be decoded at half, a quarter or an eighth of its
    /// size, still at least three quarters of `analysisSide` wide (libjpeg's scaled decoding costs
    /// far less than decoding in full and resizing), and gives the true size back.
    public func measure(path: String, analysisSide: Int = 1024, header: ImageHeader? = nil) throws(Failure)
        -> ImageMeasures
    {
        try measureFile(path: path, analysisSide: analysisSide, header: header).measures
    }

    /// The measures, and the hash of the file's bytes (see DatasetAuditor.contentHash) when the
    /// decoder read the whole file: taken from the bytes it read, so they are not read twice.
    public func measureFile(path: String, analysisSide: Int = 1024, header: ImageHeader? = nil) throws(Failure)
        -> (measures: ImageMeasures, contentHash: UInt64?)
    {
        var reduction: Int32 = 1
        if header?.format == .jpeg, let width = header?.width, let height = header?.height,
            let width32 = Int32(exactly: width), let height32 = Int32(exactly: height)
        {
            reduction = rc_jpeg_reduction(width32, height32, Int32(analysisSide))
        }
        var result = rc_image_measures()
        let status = measureFunction(path, Int32(analysisSide), reduction, &result)
        switch status {
        case 0:
            let measures = ImageMeasures(
                width: reduction > 1 ? header?.width ?? Int(result.width) : Int(result.width),
                height: reduction > 1 ? header?.height ?? Int(result.height) : Int(result.height),
                channels: Int(result.channels),
                laplacianVariance: result.laplacian_variance, sharpness: result.sharpness,
                edgeDensity: result.edge_density,
                meanBrightness: result.mean_brightness, darkFraction: result.dark_fraction,
                brightFraction: result.bright_fraction, entropy: result.entropy,
                darkestLevel: result.darkest_level, brightestLevel: result.brightest_level,
                colourfulness: result.colourfulness, differenceHash: result.difference_hash,
                thumbnail: withUnsafeBytes(of: result.thumbnail) { Data($0) }, thumbnailRange: result.thumbnail_range,
                textMarks: result.text_marks > 0 ? Int(result.text_marks) : nil,
                pageLines: result.page_marks > 0
                    ? PageLines(
                        marks: Int(result.page_marks), angle: result.page_line_angle,
                        agreement: result.page_line_agreement,
                        upright: result.page_upright.isFinite ? result.page_upright : nil,
                        alignment: result.page_alignment.isFinite ? result.page_alignment : nil,
                        upsideDown: result.page_upside_down.isFinite ? result.page_upside_down : nil)
                    : nil,
                sharpnessRatio: result.sharpness_ratio >= 0 ? result.sharpness_ratio : nil,
                colourSpread: result.colour_spread,
                blurEffect: result.blur_effect >= 0 ? result.blur_effect : nil,
                detailRetention: result.detail_retention >= 0 ? result.detail_retention : nil,
                detailAnisotropy: result.detail_anisotropy >= 0 ? result.detail_anisotropy : nil,
                anisotropicShare: result.anisotropic_share >= 0 ? result.anisotropic_share : nil,
                paperShare: result.paper_share,
                coarseDetail: result.coarse_detail, clippedFraction: result.clipped_fraction,
                highlightLevel: result.highlight_level,
                pageOutline: result.page_outline_area > 0
                    ? PageOutline(
                        area: result.page_outline_area, angle: result.page_outline_angle,
                        agreement: result.page_outline_agreement, fourSided: result.page_outline_four_sided)
                    : nil,
                keypoints: ImageKeypoints(result.keypoints).encoded)
            return (measures, result.content_hashed == 1 ? result.content_hash : nil)
        default: throw Failure(status: status, error: &result.error)
        }
    }
}
