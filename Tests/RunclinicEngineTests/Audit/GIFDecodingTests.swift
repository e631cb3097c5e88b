import Foundation
import Testing

@testable import RunclinicEngine

/// A GIF's first frame is decoded with giflib (OpenCV 4.6 has no GIF decoder, PIL has): it must
/// measure exactly as the same pixels decoded by OpenCV from a PPM do, interlaced or not, grey
/// staying grey, and a cut-off GIF is measured with its missing rows grey and said truncated.
@Suite struct GIFDecodingTests {
    static let images = ImageHeaderTests.images

    static func measures(_ name: String) throws -> ImageMeasures {
        try ImageMeasurer.shared().measure(path: images.appendingPathComponent(name).path)
    }

    @Test(arguments: [
        ("photo_pixels.gif", "photo_pixels_palette.ppm"), ("photo_pixels_interlaced.gif", "photo_pixels_palette.ppm"),
        ("photo_pixels_animated.gif", "photo_pixels_palette.ppm"), ("photo_pixels_grey.gif", "photo_pixels_grey.pgm"),
    ])
    func aGIFsFirstFrameMeasuresAsItsPixelsDecodedByOpenCVDo(gif: String, twin: String) throws {
        let decoded = try Self.measures(gif)
        let reference = try Self.measures(twin)
        #expect(decoded.width == 200 && decoded.height == 150 && decoded.sharpness > 0)
        #expect(decoded.channels == (gif.contains("grey") ? 1 : 3))
        #expect(PNGDecodingTests.described(decoded) == PNGDecodingTests.described(reference))
        #expect(decoded.thumbnail == reference.thumbnail && decoded.keypoints == reference.keypoints)
    }

    @Test func aCutOffGIFIsMeasuredAndItsHeaderSaysTruncated() throws {
        let whole = try ImageHeaderTests.bytes("photo_pixels.gif")
        let header = ImageHeader.parse(head: whole, tail: Array(whole.suffix(64)), byteCount: whole.count)
        #expect(header.format == .gif && header.width == 200 && header.height == 150 && !header.isTruncated)
        // Zeros a writer padded the trailer with do not make it cut off.
        let padded = whole + [0, 0, 0]
        #expect(!ImageHeader.parse(head: padded, tail: Array(padded.suffix(64)), byteCount: padded.count).isTruncated)

        let cut = Array(whole.prefix(whole.count / 2))
        #expect(ImageHeader.parse(head: cut, tail: Array(cut.suffix(64)), byteCount: cut.count).isTruncated)
        try withTemporaryFolder("gif") { folder in
            let file = folder.appendingPathComponent("cut.gif")
            try Data(cut).write(to: file)
            let measured = try ImageMeasurer.shared().measure(path: file.path)
            let reference = try Self.measures("photo_pixels_palette.ppm")
            // The rows it never reached are grey: the picture's lower part is flat mid-grey.
            #expect(measured.width == 200 && measured.height == 150)
            #expect(measured.meanBrightness != reference.meanBrightness)

            // Its frame as short, but the file ends as a whole one does: damaged, not cut off (PIL
            // fails on it too), so there is nothing to measure.
            let damaged = folder.appendingPathComponent("damaged.gif")
            try Data(cut + [0, 0x3B]).write(to: damaged)
            #expect(throws: ImageMeasurer.Failure.self) { try ImageMeasurer.shared().measure(path: damaged.path) }

            // A GIF with a screen and no frame has nothing to measure.
            let frameless = Array(whole.prefix(13)) + [0x3B]
            let empty = folder.appendingPathComponent("frameless.gif")
            try Data(frameless).write(to: empty)
            #expect(throws: ImageMeasurer.Failure.self) { try ImageMeasurer.shared().measure(path: empty.path) }
        }
    }
}
