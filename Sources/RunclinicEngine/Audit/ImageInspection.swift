import Foundation

/// Everything read from one image file: its header and OpenCV's measures, or why there are none.
/// The expensive part of an audit; findings are judged from it.
public struct ImageInspection: Sendable, Codable {
    public struct Unreadable: Sendable, Codable {
        public let score: Double?
        public let detail: String
    }

    /// What the measures mean changes with the code: a stored inspection of another version is
    /// measured again rather than judged by rules it was not made for.
    public static let currentVersion = 9
    public var version = ImageInspection.currentVersion
    public let path: String
    public var header: ImageHeader?
    public var measures: ImageMeasures?
    public var decodeError: String?
    /// The file cannot be opened at all (missing, empty, no permission).
    public var unreadable: Unreadable?

    /// Reads the header and, unless it claims too many pixels, decodes and measures the image.
    public static func inspect(path: String, maximumPixels: Int = ImageQualityThresholds().maximumPixels) -> ImageInspection {
        var inspection = ImageInspection(path: path)
        guard FileManager.default.fileExists(atPath: path) else {
            inspection.unreadable = Unreadable(score: nil, detail: "no such file")
            return inspection
        }
        let header: ImageHeader
        do {
            header = try ImageHeader.read(path: path)
        } catch {
            inspection.unreadable = Unreadable(score: nil, detail: "cannot be read: \(error.localizedDescription)")
            return inspection
        }
        guard header.byteCount > 0 else {
            inspection.unreadable = Unreadable(score: 0, detail: "the file is empty")
            return inspection
        }
        inspection.header = header
        if let pixels = header.pixelCount, pixels > maximumPixels { return inspection }
        do {
            inspection.measures = try ImageMeasurer.shared().measure(path: path, header: header)
        } catch {
            inspection.decodeError = error.description
        }
        return inspection
    }
}
