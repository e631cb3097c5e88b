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
        func measures(_ name: String) throws -> ImageMeasures {
            try measurer.measure(path: Self.images.appendingPathComponent(name).path)
        }
        // In focus, the Laplacian finds plenty of detail and the blur effect is not taken.
        for sharp in ["page.jpg", "photo.jpg", "receipt.jpg", "page_photographed.jpg"] {
            let inFocus = try measures(sharp)
            #expect(inFocus.sharpness >= 400 && inFocus.blurEffect == nil, "\(sharp)")
        }
        // Crisp but faint: a further blur still takes most of the differences away.
        let faint = try measures("photo_faint.jpg")
        let full = try measures("photo.jpg")
        #expect(faint.sharpness < 400 && faint.sharpness < full.sharpness / 2)
        #expect(try #require(faint.blurEffect) < 0.25)
        // Defocused, a further blur takes little away; a small photo keeps some Laplacian
        // variance at its own size, but not its crispness.
        let small = try measures("photo_small_defocused.jpg")
        #expect(small.sharpness > 10 && small.sharpness < 400)
        #expect(try #require(small.blurEffect) > 0.55)
        #expect(try #require(try measures("photo_blurred.jpg").blurEffect) > 0.55)
        // The sensor noise on this one keeps some crisp differences.
        #expect(try #require(try measures("page_blurred.jpg").blurEffect) > 0.3)
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

    @Test func aBlurryFindingScoresTheMeasureThatDecidedIt() throws {
        var byEffect = 0
        for name in [
            "photo_small_defocused.jpg", "page_photographed_defocused.jpg", "photo_blurred.jpg", "page_blurred.jpg",
            "page_photographed_lamplit_defocused.jpg",
        ] {
            let inspection = Self.inspect(name)
            let measures = try #require(inspection.measures)
            // At the default bar, and at a blur_threshold just under the image's Laplacian, where
            // only the blur effect can still call it blurry.
            var under = ImageQualityThresholds()
            under.blurThreshold = measures.sharpness * 0.8
            for thresholds in [ImageQualityThresholds(), under] {
                let findings = ImageQualityCheck(thresholds: thresholds).findings(for: inspection)
                guard let blurry = findings.first(where: { $0.issue == .blurry }) else { continue }
                let (score, bar) = (try #require(blurry.score), try #require(blurry.threshold))
                if measures.sharpness < thresholds.blurThreshold {
                    // The Laplacian decided: under its bar.
                    #expect(score == measures.sharpness && bar == thresholds.blurThreshold && score < bar, "\(name)")
                } else {
                    // The blur effect decided, over its bar (a page's is lower): the score is on the
                    // side of the bar that flags, as every other check's is.
                    #expect(score == measures.blurEffect && score >= bar, "\(name)")
                    #expect(
                        bar == thresholds.blurEffect
                            || bar == thresholds.blurEffect - ImageQualityCheck.pageBlurEffectAllowance, "\(name)")
                    byEffect += 1
                }
            }
        }
        #expect(byEffect >= 1)  // a case the blur effect decided was met: the test proves something
    }

    @Test func aDefocusedPageIsBlurryAtALowerBlurEffectThanAPhoto() throws {
        let inspection = Self.inspect("page_photographed_defocused.jpg")
        let measures = try #require(inspection.measures)
        // Under the photo's bar, over the page's; the page's paper (light, neutral) says it is one.
        let effect = try #require(measures.blurEffect)
        #expect(effect < ImageQualityThresholds().blurEffect && effect >= 0.4)
        #expect(try #require(measures.paperShare) >= ImageQualityCheck.pagePaperShare)
        #expect(ImageQualityCheck().findings(for: inspection).map(\.issue) == [.blurry])
        // The photos have no such share of paper; the page in focus is not blurry.
        #expect(
            try #require(Self.inspect("photo_small_defocused.jpg").measures?.paperShare)
                < ImageQualityCheck.pagePaperShare)
        #expect(ImageQualityCheck().findings(for: Self.inspect("page_photographed.jpg")).isEmpty)
    }

    @Test func aPagePhotographedInLamplightIsStillAPage() throws {
        // Warm light falling off across the table leaves a third of the frame light and neutral:
        // under the 0.4 that scanned pages and pages in daylight hold, over a fifth.
        let inspection = Self.inspect("page_photographed_lamplit_defocused.jpg")
        let measures = try #require(inspection.measures)
        let paper = try #require(measures.paperShare)
        #expect(paper >= ImageQualityCheck.pagePaperShare && paper < 0.4)
        let effect = try #require(measures.blurEffect)
        #expect(effect < ImageQualityThresholds().blurEffect && effect >= 0.4)
        #expect(ImageQualityCheck().findings(for: inspection).map(\.issue) == [.blurry])
    }

    @Test func aPhotoDefocusedPastItsLayoutHasNothingToLearnFrom() throws {
        // Blurred by a few pixels (sigma 6 of 800), its layout stays crisp at 48x48: blurry.
        let blurred = Self.inspect("photo_blurred.jpg")
        #expect(try #require(blurred.measures?.coarseDetail) > 0.1)
        #expect(ImageQualityCheck().findings(for: blurred).map(\.issue) == [.blurry])
        // Defocused by 6% of its frame, only smooth gradients are left even there: no detail to
        // learn from, which is the news, rather than that it is soft.
        let defocused = Self.inspect("photo_defocused_far.jpg")
        let coarse = try #require(defocused.measures?.coarseDetail)
        #expect(coarse < ImageQualityThresholds().minimumCoarseDetail)
        let findings = ImageQualityCheck().findings(for: defocused)
        #expect(findings.map(\.issue) == [.lowInformation])
        #expect(try #require(findings.first).detail.contains("defocused past any detail"))
        // The photo in focus, and pages, keep far more.
        for sharp in ["photo.jpg", "page.jpg", "page_photographed.jpg", "receipt.jpg"] {
            #expect(try #require(Self.inspect(sharp).measures?.coarseDetail) > 0.3, "\(sharp)")
        }
    }

    @Test func aSoftSkyInFocusKeepsItsDetailAcrossScalesAndIsNotBlurry() throws {
        // A cloudy sky alike at every scale, soft at 100%: by the Laplacian and the blur effect it
        // would be blurry, but its detail holds from a quarter of its scale to half of it.
        let sky = Self.inspect("photo_soft_clouds.jpg")
        let measures = try #require(sky.measures)
        #expect(measures.sharpness < ImageQualityThresholds().blurThreshold)
        #expect(try #require(measures.sharpnessRatio) < ImageQualityThresholds().blurRatio)
        #expect(try #require(measures.detailRetention) >= ImageQualityCheck.keptDetailRetention)
        #expect(ImageQualityCheck().findings(for: sky).isEmpty)
        // The same sky under a defocus disc of 6 pixels lost its finer scale's detail: blurry.
        let defocused = Self.inspect("photo_soft_clouds_defocused.jpg")
        #expect(try #require(defocused.measures?.detailRetention) < 0.15)
        #expect(ImageQualityCheck().findings(for: defocused).map(\.issue) == [.blurry])
        // In focus with plenty of detail, it is not measured; blurred pages are not held to it.
        #expect(try #require(Self.inspect("photo.jpg").measures).detailRetention == nil)
        #expect(ImageQualityCheck().findings(for: Self.inspect("page_blurred.jpg")).map(\.issue) == [.blurry])
    }
}
