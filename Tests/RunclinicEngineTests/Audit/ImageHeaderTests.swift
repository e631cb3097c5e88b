import Foundation
import Testing

@testable import RunclinicEngine

@Suite struct ImageHeaderTests {
    static let images = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/images")

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: images.appendingPathComponent(name)))
    }

    @Test func jpegSizeAndEndMarker() throws {
        let receipt = try Self.bytes("receipt.jpg")
        let header = ImageHeader.parse(head: receipt, tail: Array(receipt.suffix(64)), byteCount: receipt.count)
        #expect(header.format == .jpeg && header.width == 600 && header.height == 1400 && !header.isTruncated)
        let cut = Array(receipt.prefix(receipt.count / 2))
        #expect(ImageHeader.parse(head: cut, tail: Array(cut.suffix(64)), byteCount: cut.count).isTruncated)
    }

    @Test func exifOrientationIsRead() throws {
        // An APP1 segment, big-endian TIFF, one IFD entry: Orientation = 6.
        let tiff: [UInt8] = [
            0x4D, 0x4D, 0, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0,
        ]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let app1: [UInt8] = [0xFF, 0xE1, 0, UInt8(payload.count + 2)] + payload
        let receipt = try Self.bytes("receipt.jpg")
        let rotated = Array(receipt.prefix(2)) + app1 + Array(receipt.dropFirst(2))
        let header = ImageHeader.parse(head: rotated, tail: Array(rotated.suffix(64)), byteCount: rotated.count)
        #expect(header.exifOrientation == 6 && header.width == 600)
    }

    @Test func aFrameHeaderBehindLargeSegmentsIsStillRead() throws {
        // A 40 KiB APP2 segment (an ICC profile's place) pushes the frame header past the first
        // read of the file, 16 KiB, so the header is read again, 256 KiB long.
        let receipt = try Self.bytes("receipt.jpg")
        let payload = [UInt8](repeating: 0x41, count: 40 * 1024)
        let app2: [UInt8] = [0xFF, 0xE2, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        let padded = Array(receipt.prefix(2)) + app2 + Array(receipt.dropFirst(2))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("header-\(UUID().uuidString).jpg")
        try Data(padded).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let header = try ImageHeader.read(path: file.path)
        #expect(header.format == .jpeg && header.width == 600 && header.height == 1400 && !header.isTruncated)
        #expect(header.byteCount == padded.count)
    }

    @Test func theDecoderHashesTheBytesItReadAsTheAuditorDoes() throws {
        // A JPEG and a PNG (read by the shim's own decoders) and a PPM (by OpenCV's codecs): the
        // hash taken from the bytes decoded is the one the auditor takes reading the file itself.
        for name in ["photo.jpg", "photo_pixels.png", "photo_pixels.ppm"] {
            let path = Self.images.appendingPathComponent(name).path
            let measured = try ImageMeasurer.shared().measureFile(path: path)
            #expect(measured.contentHash == DatasetAuditor.contentHash(path), "\(name)")
            #expect(ImageInspection.inspect(path: path).contentHash == DatasetAuditor.contentHash(path), "\(name)")
        }
    }

    @Test func pngSizeFromIHDRWithoutDecoding() {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
        bytes += [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60, 8, 0, 0, 0, 0]  // 60000 x 60000
        let header = ImageHeader.parse(head: bytes, tail: bytes, byteCount: bytes.count)
        #expect(header.format == .png && header.pixelCount == 3_600_000_000 && header.isTruncated)
    }

    @Test func unknownBytesHaveNoFormat() {
        let text = Array("just text\n".utf8)
        #expect(ImageHeader.parse(head: text, tail: text, byteCount: text.count).format == nil)
    }

    @Test func theShimMeasuresARealImage() throws {
        let measures = try ImageMeasurer.shared().measure(path: Self.images.appendingPathComponent("photo.jpg").path)
        #expect(measures.width == 800 && measures.height == 600 && measures.channels == 3)
        let blurred = try ImageMeasurer.shared().measure(
            path: Self.images.appendingPathComponent("photo_blurred.jpg").path)
        #expect(blurred.laplacianVariance * 10 < measures.laplacianVariance)
        #expect(throws: ImageMeasurer.Failure.self) { try ImageMeasurer.shared().measure(path: "/etc/hostname") }
    }
}
