import Foundation
import Testing

@testable import RunclinicEngine

/// HEIC (as phones save photos) and AVIF are decoded with libheif, which OpenCV 4.6 lacks: a lossy
/// copy of a picture measures close to the picture itself, its size is read from the header, and
/// a file cut off is said truncated and has nothing to measure.
@Suite struct HEIFDecodingTests {
    static let images = ImageHeaderTests.images

    @Test(arguments: ["photo_pixels.heic", "photo_pixels.avif"])
    func aHEIFMeasuresCloseToThePictureItHolds(name: String) throws {
        let bytes = try ImageHeaderTests.bytes(name)
        let header = ImageHeader.parse(head: bytes, tail: Array(bytes.suffix(64)), byteCount: bytes.count)
        #expect(header.format == .heif && header.width == 200 && header.height == 150 && !header.isTruncated)
        let decoded = try ImageMeasurer.shared().measure(path: Self.images.appendingPathComponent(name).path)
        let reference = try ImageMeasurer.shared().measure(
            path: Self.images.appendingPathComponent("photo_pixels_palette.ppm").path)
        #expect(decoded.width == 200 && decoded.height == 150 && decoded.channels == 3)
        // Encoded at quality 90 (heif-enc): its levels and colour within a little of the original's.
        #expect(abs(decoded.meanBrightness - reference.meanBrightness) < 1.5)
        #expect(abs(decoded.colourfulness - reference.colourfulness) < 2)
        #expect(decoded.sharpness > 0.5 * reference.sharpness)
    }

    @Test func aCutOffHEICIsTruncatedAndUnreadable() throws {
        let whole = try ImageHeaderTests.bytes("photo_pixels.heic")
        let cut = Array(whole.prefix(whole.count / 2))
        #expect(ImageHeader.parse(head: cut, tail: Array(cut.suffix(64)), byteCount: cut.count).isTruncated)
        try withTemporaryFolder("heif") { folder in
            let file = folder.appendingPathComponent("cut.heic")
            try Data(cut).write(to: file)
            #expect(throws: ImageMeasurer.Failure.self) { try ImageMeasurer.shared().measure(path: file.path) }
        }
    }
}
