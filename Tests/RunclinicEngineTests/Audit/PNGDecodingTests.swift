import Foundation
import Testing

@testable import RunclinicEngine

/// The common PNG (8 bits, grey, RGB or RGBA, not interlaced) is decoded with libdeflate and
/// must measure exactly as the same pixels decoded by OpenCV do, whatever filter its rows use.
/// Other PNGs are still OpenCV's, and a damaged one is still unreadable.
@Suite struct PNGDecodingTests {
    static let images = ImageHeaderTests.images

    static func measures(_ name: String) throws -> ImageMeasures {
        try ImageMeasurer.shared().measure(path: images.appendingPathComponent(name).path)
    }

    /// Every measure by name, as text (so that NaN equals NaN), but those in `except`; bytes
    /// (thumbnail, keypoints) are compared apart, since their text is only their count.
    static func described(_ measures: ImageMeasures, except: Set<String> = []) -> [String: String] {
        var described: [String: String] = [:]
        for child in Mirror(reflecting: measures).children {
            guard let label = child.label, !except.contains(label) else { continue }
            described[label] = String(describing: child.value)
        }
        return described
    }

    @Test(arguments: [
        ("photo_pixels.png", "photo_pixels.ppm"), ("photo_pixels_every_filter.png", "photo_pixels.ppm"),
        ("photo_pixels_grey.png", "photo_pixels_grey.pgm"),
        ("photo_pixels_grey_every_filter.png", "photo_pixels_grey.pgm"),
        ("photo_pixels_palette.png", "photo_pixels_palette.ppm"),
    ])
    func aPNGMeasuresAsItsPixelsDecodedByOpenCVDo(png: String, twin: String) throws {
        let decoded = try Self.measures(png)
        let reference = try Self.measures(twin)
        #expect(decoded.width == 200 && decoded.height == 150 && decoded.sharpness > 0)
        #expect(Self.described(decoded) == Self.described(reference))
        #expect(decoded.thumbnail == reference.thumbnail && decoded.keypoints == reference.keypoints)
    }

    @Test func anRGBAPNGKeepsItsFourChannelsAndMeasuresItsColour() throws {
        let decoded = try Self.measures("photo_pixels_alpha.png")
        let reference = try Self.measures("photo_pixels.ppm")
        #expect(decoded.channels == 4 && reference.channels == 3)
        #expect(Self.described(decoded, except: ["channels"]) == Self.described(reference, except: ["channels"]))
        #expect(decoded.thumbnail == reference.thumbnail && decoded.keypoints == reference.keypoints)
    }

    @Test func aPNGWithABrokenChecksumIsStillUnreadable() throws {
        var data = try Data(contentsOf: Self.images.appendingPathComponent("photo_pixels.png"))
        let idat = try #require(data.range(of: Data("IDAT".utf8)))
        data[idat.upperBound + 100] ^= 0x10  // inside the first IDAT: its CRC no longer matches
        try withTemporaryFolder("png") { folder in
            let damaged = folder.appendingPathComponent("damaged.png")
            try data.write(to: damaged)
            #expect(throws: ImageMeasurer.Failure.self) { try ImageMeasurer.shared().measure(path: damaged.path) }
        }
    }
}
