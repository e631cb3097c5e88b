import Foundation
import Testing

@testable import RunclinicEngine

@Suite struct PerceptualHashTests {
    typealias Scene = ThumbnailRegistrationTests

    static func bits(_ first: UInt64?, _ second: UInt64?) -> Int? {
        guard let first, let second else { return nil }
        return (first ^ second).nonzeroBitCount
    }

    static func measures(_ name: String) throws -> ImageMeasures {
        try ImageMeasurer.shared().measure(path: ImageHeaderTests.images.appendingPathComponent(name).path)
    }

    @Test func aCropKeepsItsPerceptualHashWhereTheOtherHashesMove() throws {
        // The night scene and its copy cut by a tenth at the top, resized and re-encoded.
        let (whole, cropped) = (try Self.measures("photo_night.jpg"), try Self.measures("photo_night_cropped.jpg"))
        let moved = try #require(
            Self.bits(
                DatasetChecks.perceptualHash(Array(whole.thumbnail)),
                DatasetChecks.perceptualHash(Array(cropped.thumbnail))))
        #expect(moved <= DatasetChecks.keypointPerceptualBits)
        let differenceMoved = (whole.differenceHash ^ cropped.differenceHash).nonzeroBitCount
        let averageMoved = try #require(
            Self.bits(
                DatasetChecks.averageHash(Array(whole.thumbnail)), DatasetChecks.averageHash(Array(cropped.thumbnail))))
        #expect(differenceMoved + averageMoved > DatasetChecks.keypointHashBits)
        // Another picture is far from both.
        let other = try #require(DatasetChecks.perceptualHash(Array(try Self.measures("photo.jpg").thumbnail)))
        #expect(try #require(Self.bits(other, DatasetChecks.perceptualHash(Array(whole.thumbnail)))) > 2 * moved + 8)
    }

    @Test func brightnessAndContrastLeaveItAlone() throws {
        let whole = Scene.thumbnail(0, 0, 1, 1)
        let dimmer = whole.map { UInt8((Double($0) * 0.8 + 20).rounded()) }
        let moved = try #require(Self.bits(DatasetChecks.perceptualHash(whole), DatasetChecks.perceptualHash(dimmer)))
        #expect(moved <= 2)
    }

    @Test func anotherLayoutIsFarApart() throws {
        let whole = Scene.thumbnail(0, 0, 1, 1)
        let mirrored = Scene.thumbnail(1, 0, 0, 1)
        let moved = try #require(Self.bits(DatasetChecks.perceptualHash(whole), DatasetChecks.perceptualHash(mirrored)))
        #expect(moved > 2 * DatasetChecks.keypointPerceptualBits)
    }

    @Test func itHas63BitsAboutHalfOfThemSet() throws {
        let hash = try #require(DatasetChecks.perceptualHash(Scene.thumbnail(0, 0, 1, 1)))
        #expect(hash >> 63 == 0)
        #expect((28...32).contains(hash.nonzeroBitCount))
        #expect(DatasetChecks.perceptualHash([1, 2, 3]) == nil)
        #expect(DatasetChecks.perceptualHash(nil) == nil)
    }
}
