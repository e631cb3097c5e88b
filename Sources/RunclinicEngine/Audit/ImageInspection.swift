import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Everything read from one image file: its header and OpenCV's measures, or why there are none.
/// The expensive part of an audit; findings are judged from it.
public struct ImageInspection: Sendable {
    public struct Unreadable: Sendable {
        public let score: Double?
        public let detail: String
    }

    /// What the measures mean changes with the code: a stored inspection of another version is
    /// measured again rather than judged by rules it was not made for.
    public static let currentVersion = 30
    public var version = ImageInspection.currentVersion
    public let path: String
    public var header: ImageHeader?
    public var measures: ImageMeasures?
    public var decodeError: String?
    /// The file cannot be opened at all (missing, empty, no permission).
    public var unreadable: Unreadable?
    /// The image library itself could not be loaded: nothing is known about the file, which is
    /// no finding of it (DatasetAuditor turns this into an error).
    public var libraryError: String?
    /// The hash of the file's bytes (see DatasetAuditor.contentHash), taken by the decoder from
    /// the bytes it read; nil where it did not read them all. Stored in a column of its own.
    public var contentHash: UInt64?

    /// Reads the header and, unless it claims too many pixels, decodes and measures the image.
    public static func inspect(path: String, maximumPixels: Int = ImageQualityThresholds().maximumPixels)
        -> ImageInspection
    {
        var inspection = ImageInspection(path: path)
        let header: ImageHeader
        switch Self.header(of: path) {
        case .success(let read): header = read
        case .failure(let unreadable):
            inspection.unreadable = unreadable
            return inspection
        }
        inspection.header = header
        if let pixels = header.pixelCount, pixels > maximumPixels { return inspection }
        do {
            (inspection.measures, inspection.contentHash) = try ImageMeasurer.shared().measureFile(
                path: path, header: header)
        } catch ImageMeasurer.Failure.libraryMissing(let detail) {
            inspection.libraryError = detail
        } catch {
            inspection.decodeError = error.description
        }
        return inspection
    }

    /// The header of a file that may be opened and decoded, or why it may not: it must exist, be a
    /// regular file (opening a FIFO or a device can block for good: such files are never opened),
    /// be readable and not empty. The one gate for an inspection and a thumbnail alike.
    static func header(of path: String) -> Result<ImageHeader, Unreadable> {
        var status = stat()
        guard stat(path, &status) == 0 else { return .failure(Unreadable(score: nil, detail: "no such file")) }
        if let kind = ImageFileWalk.specialKind(status.st_mode) {
            return .failure(
                Unreadable(
                    score: nil,
                    detail: (status.st_mode & S_IFMT) == S_IFDIR
                        ? "a folder, not an image file" : "not a regular file (a \(kind)): not opened"))
        }
        let header: ImageHeader
        do {
            header = try ImageHeader.read(path: path)
        } catch {
            return .failure(Unreadable(score: nil, detail: "cannot be read: \(error.localizedDescription)"))
        }
        guard header.byteCount > 0 else { return .failure(Unreadable(score: 0, detail: "the file is empty")) }
        return .success(header)
    }
}

extension ImageInspection.Unreadable: Error {}
