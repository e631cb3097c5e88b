import Foundation
import Testing
@testable import RunclinicEngine

@Suite struct DocumentAndDatasetCheckTests {
    static let images = ImageHeaderTests.images

    static func lines(angle: Double, agreement: Double = 0.9, marks: Int = 300) -> TextLines {
        TextLines(marks: marks, angle: angle, agreement: agreement)
    }

    @Test func textLineAnglesBecomeQuarterTurnsAndLean() throws {
        let upright = try #require(TextOrientation(Self.lines(angle: 179.2)))
        #expect(!upright.sideways && abs(upright.skew + 0.8) < 1e-9)
        let leaning = try #require(TextOrientation(Self.lines(angle: 25)))
        #expect(!leaning.sideways && leaning.skew == 25)
        let quarter = try #require(TextOrientation(Self.lines(angle: 92)))
        #expect(quarter.sideways && quarter.skew == 2)
        let quarterLeaning = try #require(TextOrientation(Self.lines(angle: 110)))
        #expect(quarterLeaning.sideways && quarterLeaning.skew == 20)
    }

    @Test func photosAndSparseMarksAreNotDocuments() {
        #expect(TextOrientation(Self.lines(angle: 90, agreement: 0.24)) == nil)  // a photo's edges disagree
        #expect(TextOrientation(Self.lines(angle: 90, marks: 12)) == nil)
        #expect(TextOrientation(nil) == nil)
    }

    @Test func theShimFindsTheTextLinesOfRealReceipts() throws {
        let measurer = try ImageMeasurer.shared()
        let upright = try #require(try measurer.measure(path: Self.images.appendingPathComponent("receipt.jpg").path).textLines)
        #expect(upright.angle < 2 || upright.angle > 178)
        let quarter = try #require(try measurer.measure(path: Self.images.appendingPathComponent("receipt_quarter.jpg").path).textLines)
        #expect(abs(quarter.angle - 90) < 2)
        let skewed = try #require(try measurer.measure(path: Self.images.appendingPathComponent("receipt_skewed.jpg").path).textLines)
        #expect(abs(skewed.angle - 155) < 2)  // 25 degrees counter-clockwise
        #expect(TextOrientation(try measurer.measure(path: Self.images.appendingPathComponent("photo.jpg").path).textLines) == nil)
    }

    static func image(_ path: String, thumbnail: [UInt8]?, hash: UInt64 = 0, pixels: Int = 1_000_000) -> DatasetChecks.Image {
        DatasetChecks.Image(path: path, size: 1, contentHash: UInt64(path.hashValue.magnitude), differenceHash: hash, pixels: pixels,
                            width: 1000, height: pixels / 1000, thumbnail: thumbnail)
    }

    @Test func thumbnailsIgnoreBrightnessAndContrastButNotContent() {
        let scene: [UInt8] = (0..<2304).map { (index: Int) -> UInt8 in UInt8(30 + (index % 48) * 2 + (index / 48) * 2) }
        let brighter: [UInt8] = scene.map { (value: UInt8) -> UInt8 in UInt8(min(255, Int(value) * 11 / 10 + 12)) }
        var other = scene
        other.replaceSubrange(0..<576, with: other[0..<576].reversed())
        let distanceToBrighter = DatasetChecks.thumbnailDistance(Self.image("a", thumbnail: scene), Self.image("b", thumbnail: brighter))
        let distanceToOther = DatasetChecks.thumbnailDistance(Self.image("a", thumbnail: scene), Self.image("c", thumbnail: other))
        #expect(distanceToBrighter < 0.03 && distanceToOther > DatasetChecks.thumbnailRadius)
        #expect(DatasetChecks.thumbnailDistance(Self.image("a", thumbnail: scene), Self.image("d", thumbnail: nil)) == .infinity)
    }

    @Test func nearDuplicatesNeedASharedBandAndCloseThumbnails() {
        let scene: [UInt8] = (0..<2304).map { (index: Int) -> UInt8 in UInt8((index * 37) % 251) }
        let dimmer: [UInt8] = scene.map { (value: UInt8) -> UInt8 in value / 2 + 20 }
        let images = [
            Self.image("a.jpg", thumbnail: scene, hash: 0xFFFF_0000_FFFF_0000),
            Self.image("b.jpg", thumbnail: dimmer, hash: 0xFFFF_0000_FFFF_00FF),  // 8 bits off, 7 bands shared
            Self.image("c.jpg", thumbnail: Array(scene.reversed()), hash: 0xFFFF_0000_FFFF_0000),  // same hash, other picture
        ]
        let found = DatasetChecks.nearDuplicates(images, radius: 12)
        #expect(found.map(\.path) == ["b.jpg"] && found.first?.group == "a.jpg")
    }

    @Test func oddSizesAreTwentyTimesOffTheMedian() {
        var images = (0..<30).map { Self.image("p\($0)", thumbnail: nil, pixels: 1_000_000 + $0 * 20_000) }
        images.append(Self.image("half", thumbnail: nil, pixels: 500_000))  // a robust z far over 4, but only 2x off
        images.append(Self.image("tiny", thumbnail: nil, pixels: 30_000))
        #expect(DatasetChecks.oddSizes(images).map(\.path) == ["tiny"])
    }
}
