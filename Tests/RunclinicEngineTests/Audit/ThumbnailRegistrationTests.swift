import Foundation
import Testing

@testable import RunclinicEngine

@Suite struct ThumbnailRegistrationTests {
    /// A smooth picture over the unit square: two soft blobs on a gradient, as a soft wallpaper.
    static func scene(_ x: Double, _ y: Double) -> Double {
        func blob(_ cx: Double, _ cy: Double, _ spread: Double) -> Double {
            exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * spread * spread))
        }
        return 40 + 60 * x + 120 * blob(0.3, 0.4, 0.15) + 80 * blob(0.75, 0.7, 0.2)
    }

    /// The 48x48 thumbnail of the part of the scene from (left, top) to (right, bottom).
    static func thumbnail(_ left: Double, _ top: Double, _ right: Double, _ bottom: Double, brighter: Double = 0)
        -> [UInt8]
    {
        (0..<(48 * 48)).map { index in
            let (column, row) = (Double(index % 48) + 0.5, Double(index / 48) + 0.5)
            let value = scene(left + (right - left) * column / 48, top + (bottom - top) * row / 48) + brighter
            return UInt8(min(255, max(0, value.rounded())))
        }
    }

    @Test func aCropOfASmoothPictureLiesOverIt() {
        let whole = Self.thumbnail(0, 0, 1, 1)
        // Cut by 7% at the left, 3% at the right, 4% at the top and 2% at the bottom, brightened.
        let cropped = Self.thumbnail(0.07, 0.04, 0.97, 0.98, brighter: 14)
        let (wholeFrame, croppedFrame) = ((width: 320, height: 200), (width: 320, height: 209))
        let plain = DatasetChecks.thumbnailDistance(
            DatasetChecks.normalisedThumbnail(whole, range: 255), DatasetChecks.normalisedThumbnail(cropped, range: 255)
        )
        let registered = ThumbnailRegistration.distance(
            (whole, 255), frame: wholeFrame, (cropped, 255), frame: croppedFrame)
        // Every cell moved, so the thumbnails differ as they are; laid over each other, they agree.
        #expect(plain > DatasetChecks.thumbnailRadius)
        #expect(registered < 0.03)
        // Either may be the crop.
        let reversed = ThumbnailRegistration.distance(
            (cropped, 255), frame: croppedFrame, (whole, 255), frame: wholeFrame)
        #expect(abs(reversed - registered) < 1e-9)
    }

    @Test func anotherPictureDoesNotLieOverIt() {
        let whole = Self.thumbnail(0, 0, 1, 1)
        // The same scene mirrored: the same levels, another layout.
        let mirrored = Self.thumbnail(1, 0, 0, 1)
        let frame = (width: 320, height: 200)
        let registered = ThumbnailRegistration.distance((whole, 255), frame: frame, (mirrored, 255), frame: frame)
        #expect(registered > 2 * DatasetChecks.registeredRadius)
    }

    @Test func malformedThumbnailsAreInfinitelyFar() {
        let whole = Self.thumbnail(0, 0, 1, 1)
        let frame = (width: 320, height: 200)
        #expect(
            ThumbnailRegistration.distance((whole, 255), frame: frame, ([1, 2, 3], 255), frame: frame) == .infinity)
        #expect(
            ThumbnailRegistration.distance((whole, 255), frame: frame, (whole, 255), frame: (width: 0, height: 0))
                == .infinity)
    }
}
