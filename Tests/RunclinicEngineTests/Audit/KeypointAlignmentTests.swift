import Foundation
import Testing

@testable import RunclinicEngine

/// Keypoints align a cropped, resized, re-encoded copy with its original where whole-frame
/// thumbnails disagree: RANSAC on synthetic matches, then the OpenCV shim's ORB keypoints of a
/// real photographed page and its crop.
@Suite struct KeypointAlignmentTests {
    static let images = ImageHeaderTests.images

    /// Keypoints in the stored layout: frame, count, positions in 1/64 px, descriptors.
    static func keypoints(
        frame: (Int, Int), _ points: [(x: Double, y: Double)], descriptors: [[UInt8]]
    ) -> ImageKeypoints {
        var bytes: [UInt8] = []
        func append(_ value: Int) { bytes += [UInt8(value & 0xFF), UInt8(value >> 8)] }
        append(frame.0)
        append(frame.1)
        append(points.count)
        for point in points {
            append(Int((point.x * 64).rounded()))
            append(Int((point.y * 64).rounded()))
        }
        for descriptor in descriptors { bytes += descriptor }
        return ImageKeypoints(encoded: Data(bytes))
    }

    static func randomDescriptors(_ count: Int, seed: UInt64) -> [[UInt8]] {
        var state = seed
        return (0..<count).map { _ in
            (0..<32).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
        }
    }

    @Test func ransacFindsTheCropAmongWrongMatches() throws {
        // 60 keypoints; the copy is the picture scaled by 1.1 and shifted (a crop brought back
        // to the same frame), with 20 of its keypoints moved elsewhere.
        let descriptors = Self.randomDescriptors(60, seed: 7)
        let points: [(x: Double, y: Double)] = (0..<60).map { (index: Int) -> (x: Double, y: Double) in
            (x: Double((index * 37) % 300) + 5, y: Double((index * 53) % 220) + 5)
        }
        let moved: [(x: Double, y: Double)] = points.indices.map { (index: Int) -> (x: Double, y: Double) in
            if index % 3 == 0 { return (x: Double((index * 91) % 300), y: Double((index * 17) % 220)) }
            return (x: 1.1 * points[index].x + 12, y: 1.1 * points[index].y + 7)
        }
        let original = Self.keypoints(frame: (320, 240), points, descriptors: descriptors)
        let copy = Self.keypoints(frame: (320, 240), moved, descriptors: descriptors)
        let alignment = try #require(KeypointAlignment.between(original, copy, leastInliers: 22))
        #expect(alignment.matches == 60 && alignment.inliers == 40)
        #expect(abs(alignment.scale - 1.1) < 0.001 && abs(alignment.rotation) < 0.05)
        #expect(abs(alignment.tx - 12) < 0.1 && abs(alignment.ty - 7) < 0.1)
        // The same pair aligns the same every time.
        #expect(KeypointAlignment.between(original, copy, leastInliers: 22) == alignment)
        // Too few matches: no transform is sought.
        #expect(KeypointAlignment.between(original, copy, leastInliers: 61) == nil)
        // Unrelated descriptors do not pass the ratio test.
        let other = Self.keypoints(frame: (320, 240), points, descriptors: Self.randomDescriptors(60, seed: 99))
        #expect(KeypointAlignment.between(original, other, leastInliers: 22) == nil)
    }

    @Test func agreeingKeypointsMustComeFromAcrossThePicture() throws {
        // Two pictures sharing only a background strip along the top: the keypoints there agree
        // on the identity, those on the rest (the different pictures) do not.
        let shared = Self.randomDescriptors(30, seed: 3)
        let strip: [(x: Double, y: Double)] = (0..<30).map { (index: Int) -> (x: Double, y: Double) in
            (x: Double(index * 10 + 5), y: Double((index * 7) % 60) + 5)
        }
        let below: [(x: Double, y: Double)] = (0..<60).map { (index: Int) -> (x: Double, y: Double) in
            (x: Double((index * 37) % 300) + 10, y: Double((index * 53) % 150) + 85)
        }
        let first = Self.keypoints(
            frame: (320, 240), strip + below, descriptors: shared + Self.randomDescriptors(60, seed: 4))
        let second = Self.keypoints(
            frame: (320, 240), strip + below, descriptors: shared + Self.randomDescriptors(60, seed: 5))
        let alignment = try #require(KeypointAlignment.between(first, second, leastInliers: 22))
        #expect(alignment.inliers == 30 && abs(alignment.scale - 1) < 0.001)
        let region = try #require(alignment.sharedRegion((320, 240), (320, 240)))
        #expect(region == (0, 0, 320, 240))
        // Keypoints in all 9 cells, agreeing ones in the top row only.
        #expect(abs(alignment.coverage(of: first.positions, in: region) - 3.0 / 9.0) < 1e-9)
        #expect(alignment.coverage(of: first.positions, in: region) < DatasetChecks.keypointCoverage)
        // A copy: every keypoint agrees, so every cell does.
        let copy = try #require(KeypointAlignment.between(first, first, leastInliers: 22))
        #expect(copy.coverage(of: first.positions, in: region) == 1)
    }

    @Test func malformedKeypointsAlignWithNothing() {
        let whole = Self.keypoints(
            frame: (320, 240), [(10, 10), (20, 20)], descriptors: Self.randomDescriptors(2, seed: 1))
        let cut = ImageKeypoints(encoded: whole.encoded.dropLast(5))
        #expect(cut.frame == nil && cut.positions.isEmpty && cut.descriptors.isEmpty)
        #expect(KeypointAlignment.between(whole, cut, leastInliers: 2) == nil)
        #expect(ImageKeypoints(encoded: Data()).frame == nil)
    }

    @Test func aCroppedCopyOfAPhotographedPageAlignsWithIt() throws {
        let measurer = try ImageMeasurer.shared()
        func keypoints(_ name: String) throws -> ImageKeypoints {
            let measures = try measurer.measure(path: Self.images.appendingPathComponent(name).path)
            return ImageKeypoints(encoded: try #require(measures.keypoints))
        }
        let original = try keypoints("page_photographed.jpg")
        let copy = try keypoints("page_photographed_cropped.jpg")
        #expect(original.frame?.width == 320 && original.frame?.height == 246)
        #expect(original.positions.count == 128)
        // 8% cropped (5% left, 3% right, 6% top, 2% bottom), resized to 70%, JPEG quality 45:
        // both brought to 320 px wide, the copy's picture is 1/0.92 = 1.087 times larger.
        let alignment = try #require(KeypointAlignment.between(original, copy, leastInliers: 22))
        #expect(alignment.inliers >= DatasetChecks.keypointInliers)
        #expect(abs(alignment.scale - 1.087) < 0.02 && abs(alignment.rotation) < 1)
        // The top-left corner of what the copy shows: 5% across and 6% down the original.
        let corner = alignment.apply(0.05 * 320, 0.06 * 246)
        #expect(abs(corner.x) < 3 && abs(corner.y) < 3)
        // Another picture aligns with neither.
        let photo = try keypoints("photo.jpg")
        #expect((KeypointAlignment.between(photo, copy, leastInliers: 22)?.inliers ?? 0) < 22)
    }

    @Test func alignedThumbnailsAgreeOnlyWhereTheCopyShowsTheSamePicture() throws {
        // A 48x48 picture and its "crop": the copy shows x and y from 4.8 to 48 of the original,
        // stretched back to 48x48; the keypoint frames are 320 wide for both.
        func scene(_ x: Double, _ y: Double) -> Double { 128 + 100 * sin(x / 5) * cos(y / 7) }
        let original = (0..<2304).map { UInt8(scene(Double($0 % 48) + 0.5, Double($0 / 48) + 0.5)) }
        let copy = (0..<2304).map {
            UInt8(scene(4.8 + (Double($0 % 48) + 0.5) * 0.9, 4.8 + (Double($0 / 48) + 0.5) * 0.9))
        }
        // The copy's frame coordinate u is the original's (x - 32) / 0.9: a = 1/0.9, t = -32/0.9.
        let crop = KeypointAlignment(matches: 40, inliers: 40, a: 1 / 0.9, b: 0, tx: -32 / 0.9, ty: -32 / 0.9)
        let aligned = DatasetChecks.alignedThumbnailDistance(
            (original, 255), frame: (320, 320), (copy, 255), frame: (320, 320), alignment: crop)
        #expect(aligned < 0.05)
        let unaligned = KeypointAlignment(matches: 40, inliers: 40, a: 1, b: 0, tx: 0, ty: 0)
        #expect(
            DatasetChecks.alignedThumbnailDistance(
                (original, 255), frame: (320, 320), (copy, 255), frame: (320, 320), alignment: unaligned) > 0.26)
        // A transform that leaves under half of the picture in common is no crop.
        let far = KeypointAlignment(matches: 40, inliers: 40, a: 1, b: 0, tx: -200, ty: 0)
        #expect(
            DatasetChecks.alignedThumbnailDistance(
                (original, 255), frame: (320, 320), (copy, 255), frame: (320, 320), alignment: far) == .infinity)
    }
    @Test func smoothedThumbnailsForgiveTextLinesMovedByAFractionOfARow() {
        // A receipt's layout with its text lines 2.2 thumbnail rows apart, and a crop that moved
        // them down by 0.6 of a row (4 px of the 320 px frame): the lines alias in both 48x48
        // thumbnails, each its own way. Smoothed, the two agree on the layout; another layout
        // with the same lines does not.
        func layout(_ x: Double, _ y: Double) -> Double { 60 * sin(x / 9) * cos(y / 11) }
        func otherLayout(_ x: Double, _ y: Double) -> Double { 60 * sin(x / 7 + 1) * cos(y / 5) }
        func lines(_ y: Double) -> Double { 50 * sin(2 * .pi * y / 2.2) }
        func thumbnail(_ value: (Double, Double) -> Double) -> [UInt8] {
            (0..<2304).map { UInt8(128 + value(Double($0 % 48) + 0.5, Double($0 / 48) + 0.5)) }
        }
        let receipt = thumbnail { x, y in layout(x, y) + lines(y) }
        let copy = thumbnail { x, y in layout(x, y + 0.6) + lines(y + 0.6) }
        let other = thumbnail { x, y in otherLayout(x, y + 0.6) + lines(y + 0.6) }
        let moved = KeypointAlignment(matches: 40, inliers: 40, a: 1, b: 0, tx: 0, ty: -4)
        func distance(_ second: [UInt8], smoothed: Bool) -> Double {
            DatasetChecks.alignedThumbnailDistance(
                (receipt, 255), frame: (320, 320), (second, 255), frame: (320, 320), alignment: moved,
                smoothed: smoothed)
        }
        #expect(distance(copy, smoothed: false) > DatasetChecks.alignedRadius)
        #expect(distance(copy, smoothed: true) < DatasetChecks.alignedRadius / 2)
        #expect(distance(other, smoothed: true) > DatasetChecks.wellAlignedRadius)
    }
}
