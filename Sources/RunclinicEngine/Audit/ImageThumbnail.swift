import Foundation

/// Colour thumbnails for people to look at (the audit's gallery): the stored 48x48 grey ones
/// show neither a washed-out picture's colour nor a grayscale one's lack of it.
public enum ImageThumbnail {
    /// Longer side of a gallery thumbnail: drawn at 120 CSS pixels, sharp on a screen of 1.33 device
    /// pixels each, about 6 KB as a JPEG.
    public static let gallerySide = 160

    /// A JPEG of the image at `path`, at most `side` pixels on its longer side; nil for what is
    /// not decoded for an audit either: a file that is not a regular file, has no header, or
    /// claims more than `maximumPixels` pixels (a decompression bomb), and a file the decoder
    /// cannot read.
    public static func jpeg(path: String, side: Int = gallerySide, maximumPixels: Int) -> [UInt8]? {
        guard case .success(let header) = ImageInspection.header(of: path) else { return nil }
        if let pixels = header.pixelCount, pixels > maximumPixels { return nil }
        return try? ImageMeasurer.shared().thumbnail(path: path, side: side)
    }

    /// Colour thumbnails of `paths` as JPEGs, made by `inspector` on every core; a path left out
    /// has none.
    public static func jpegs(_ paths: [String], inspector: any ImageInspector, maximumPixels: Int) -> [String: [UInt8]]
    {
        let jpegs = paths.concurrentMap { path in
            inspector.thumbnail(path: path, side: gallerySide, maximumPixels: maximumPixels)
        }
        var pictures: [String: [UInt8]] = [:]
        for (path, jpeg) in zip(paths, jpegs) {
            if let jpeg { pictures[path] = jpeg }
        }
        return pictures
    }

    /// The same, as data URIs, for a page that fetches nothing.
    public static func dataURIs(_ paths: [String], inspector: any ImageInspector, maximumPixels: Int) -> [String:
        String]
    {
        jpegs(paths, inspector: inspector, maximumPixels: maximumPixels).mapValues(dataURI)
    }

    /// A JPEG as a data URI.
    public static func dataURI(_ jpeg: [UInt8]) -> String {
        "data:image/jpeg;base64," + Data(jpeg).base64EncodedString()
    }
}
