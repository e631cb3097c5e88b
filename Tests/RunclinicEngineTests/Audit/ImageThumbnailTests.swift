import Foundation
import Testing

@testable import RunclinicEngine

#if canImport(Glibc)
    import Glibc
#endif

/// The gallery's colour thumbnails: any format the audit decodes, at the image's proportions, and
/// nothing decoded that an audit would not decode either.
@Suite struct ImageThumbnailTests {
    static let images = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images")

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("thumbnail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The size of a thumbnail, read back from the JPEG's own header.
    static func size(of jpeg: [UInt8], in folder: URL) throws -> (width: Int, height: Int) {
        let file = folder.appendingPathComponent("\(UUID().uuidString).jpg")
        try Data(jpeg).write(to: file)
        let header = try ImageHeader.read(path: file.path)
        #expect(header.format == .jpeg)
        return (try #require(header.width), try #require(header.height))
    }

    @Test(arguments: [
        "photo_pixels.png", "photo_pixels_alpha.png", "photo_pixels_palette.png", "photo_pixels.ppm",
        "photo_pixels_grey.pgm", "photo.jpg", "photo_cmyk.jpg", "receipt_quarter.jpg",
    ])
    func everyFormatTheAuditReadsGivesAThumbnailAtTheImagesProportions(name: String) throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = Self.images.appendingPathComponent(name).path
        // The header reader knows no PPM or PGM: their PNG twins hold the same pixels.
        let twin = name.hasSuffix(".ppm") || name.hasSuffix(".pgm") ? name.dropLast(4) + ".png" : name
        let original = try ImageHeader.read(path: Self.images.appendingPathComponent(String(twin)).path)
        let width = try #require(original.width)
        let height = try #require(original.height)
        let jpeg = try #require(ImageThumbnail.jpeg(path: path, side: 64, maximumPixels: 1 << 30))
        let shown = try Self.size(of: jpeg, in: folder)
        #expect(max(shown.width, shown.height) == min(64, max(width, height)))
        let proportion = Double(width) / Double(height)
        #expect(abs(Double(shown.width) / Double(shown.height) - proportion) < 0.05 * proportion + 0.1)
    }

    @Test func aFileAuditsWouldNotDecodeGetsNone() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let photo = Self.images.appendingPathComponent("photo.jpg").path
        let pixels = try #require(try ImageHeader.read(path: photo).pixelCount)
        // Claims more pixels than allowed (a decompression bomb): not decoded.
        #expect(ImageThumbnail.jpeg(path: photo, side: 64, maximumPixels: pixels - 1) == nil)
        #expect(ImageThumbnail.jpeg(path: photo, side: 64, maximumPixels: pixels) != nil)
        // Not an image, or not there.
        let broken = folder.appendingPathComponent("broken.png")
        try Data("\u{89}PNG\r\n\u{1A}\n not a picture".utf8).write(to: broken)
        #expect(ImageThumbnail.jpeg(path: broken.path, maximumPixels: 1 << 30) == nil)
        #expect(
            ImageThumbnail.jpeg(path: folder.appendingPathComponent("gone.jpg").path, maximumPixels: 1 << 30) == nil)
        // A FIFO is never opened (no one writes to it: opening it would block for good).
        let fifo = folder.appendingPathComponent("pipe.jpg").path
        try #require(mkfifo(fifo, 0o600) == 0)
        #expect(ImageThumbnail.jpeg(path: fifo, maximumPixels: 1 << 30) == nil)
    }

    @Test func noiseAtTheLargestSideStillFits() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Grey noise, the hardest picture to compress, as a binary PGM (OpenCV decodes it).
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<(600 * 600)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let file = folder.appendingPathComponent("noise.pgm")
        try (Data("P5\n600 600\n255\n".utf8) + Data(noise)).write(to: file)
        let jpeg = try #require(ImageThumbnail.jpeg(path: file.path, side: 512, maximumPixels: 1 << 30))
        #expect(jpeg.count > 1 << 16)
        #expect(try Self.size(of: jpeg, in: folder) == (512, 512))
    }
}
