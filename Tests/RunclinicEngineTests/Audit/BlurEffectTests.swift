import Foundation
import Testing

@testable import RunclinicEngine

/// The blur effect (Crete et al. 2007), measured by the OpenCV shim on real JPEGs, and the rule
/// that uses it: a small photo under a defocus disc keeps some Laplacian variance at its own size,
/// but not its crispness.
@Suite struct BlurEffectTests {
    static let images = ImageHeaderTests.images

    static func inspect(_ name: String) -> ImageInspection {
        ImageInspection.inspect(path: images.appendingPathComponent(name).path)
    }

    @Test func aFurtherBlurTakesLittleFromABlurredImage() throws {
        let measurer = try ImageMeasurer.shared()
        func effect(_ name: String) throws -> Double {
            try #require(try measurer.measure(path: Self.images.appendingPathComponent(name).path).blurEffect)
        }
        // In focus: most of the differences go with a further blur; defocused, little does.
        for sharp in ["page.jpg", "photo.jpg", "receipt.jpg", "page_photographed.jpg"] {
            #expect(try effect(sharp) < 0.25, "\(sharp)")
        }
        #expect(try effect("photo_small_defocused.jpg") > 0.55)
        #expect(try effect("photo_blurred.jpg") > 0.55)
        // Its sensor noise keeps some crisp differences, but far fewer than the page had.
        #expect(try effect("page_blurred.jpg") > 2 * effect("page.jpg"))
    }

    @Test func aSmallDefocusedPhotoIsBlurryByItsBlurEffectAlone() throws {
        let inspection = Self.inspect("photo_small_defocused.jpg")
        let measures = try #require(inspection.measures)
        // The older tests alone let it pass: some detail left, over blur_ratio of its contrast.
        let thresholds = ImageQualityThresholds()
        #expect(measures.sharpness < 2 * thresholds.blurThreshold)
        #expect(try #require(measures.sharpnessRatio) >= thresholds.blurRatio)
        let issues = ImageQualityCheck().findings(for: inspection).map(\.issue)
        #expect(issues == [.blurry])
        let blurry = try #require(ImageQualityCheck().findings(for: inspection).first)
        #expect(blurry.detail.contains("blur effect"))

        // `blur_effect` moves it, as the other thresholds move theirs.
        var lenient = ImageQualityThresholds()
        lenient.blurEffect = 0.9
        #expect(ImageQualityCheck(thresholds: lenient).findings(for: inspection).isEmpty)
        #expect(ImageQualityCheck().findings(for: Self.inspect("photo.jpg")).isEmpty)
    }
}
