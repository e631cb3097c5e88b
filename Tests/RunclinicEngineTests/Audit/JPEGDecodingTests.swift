import Foundation
import Testing

@testable import RunclinicEngine

/// JPEGs are decoded by libjpeg directly, straight into BGR; what OpenCV alone decodes (CMYK) is
/// still decoded, and by it.
@Suite struct JPEGDecodingTests {
    static let images = ImageHeaderTests.images

    static func measures(_ name: String) throws -> ImageMeasures {
        try ImageMeasurer.shared().measure(path: images.appendingPathComponent(name).path)
    }

    @Test func aJPEGMeasuresAsItsPixelsDecodedByOpenCVDo() throws {
        let jpeg = try Self.measures("photo_small_defocused.jpg")
        let decoded = try Self.measures("photo_small_defocused_decoded.ppm")
        #expect(jpeg.width == decoded.width && jpeg.height == decoded.height && jpeg.channels == 3)
        #expect(jpeg.sharpness == decoded.sharpness && jpeg.colourfulness == decoded.colourfulness)
        #expect(jpeg.differenceHash == decoded.differenceHash && jpeg.thumbnail == decoded.thumbnail)
        #expect(jpeg.blurEffect == decoded.blurEffect && jpeg.meanBrightness == decoded.meanBrightness)
    }

    @Test func otherJPEGsStillDecode() throws {
        let cmyk = try Self.measures("photo_cmyk.jpg")
        #expect(cmyk.width == 320 && cmyk.height == 240 && cmyk.colourfulness > 10)
        let grey = try Self.measures("page_grey.jpg")
        #expect(grey.channels == 1 && grey.colourfulness == 0 && grey.textMarks != nil)
    }
}
