import CImageInspectionAPI
import Foundation

/// An image's ORB keypoints in its keypoint frame (see rc_keypoints in image_inspection.h), as
/// stored: the frame's width and height and the count (16 bits each, little-endian), then each
/// keypoint's position (x, y: 16 bits each, in 1/64ths of a pixel), then the 32-byte descriptors.
/// Only the keypoints found are stored: 4.6 KB at most, far less for a near-blank page.
public struct ImageKeypoints: Sendable, Equatable {
    public let encoded: Data

    public init(encoded: Data) { self.encoded = encoded }

    init(_ keypoints: rc_keypoints) {
        let most = MemoryLayout.size(ofValue: keypoints.descriptors) / 32
        let count = Int(max(0, min(Int32(most), keypoints.count)))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(6 + count * 36)
        func append(_ value: Int) {
            let clamped = UInt16(clamping: value)
            bytes.append(UInt8(clamped & 0xFF))
            bytes.append(UInt8(clamped >> 8))
        }
        append(Int(keypoints.frame_width))
        append(Int(keypoints.frame_height))
        append(count)
        withUnsafeBytes(of: keypoints.positions) { raw in
            let positions = raw.bindMemory(to: UInt16.self)
            for index in 0..<(2 * count) { append(Int(positions[index])) }
        }
        withUnsafeBytes(of: keypoints.descriptors) { raw in bytes.append(contentsOf: raw.prefix(32 * count)) }
        encoded = Data(bytes)
    }

    /// The keypoint frame's size (the picture at 320 px on its longer side); nil when malformed.
    var frame: (width: Int, height: Int)? {
        guard isWhole else { return nil }
        return (Int(word(0)), Int(word(1)))
    }

    /// The keypoints' positions in the frame (pixels) and their descriptors, 32 bytes each, in
    /// order; empty when the bytes are not a whole record.
    var positions: [KeypointAlignment.Point] {
        guard isWhole else { return [] }
        return (0..<count).map {
            KeypointAlignment.Point(x: Double(word(3 + 2 * $0)) / 64, y: Double(word(4 + 2 * $0)) / 64)
        }
    }

    /// How many keypoints were found (0 when the bytes are not a whole record).
    var found: Int { isWhole ? count : 0 }

    var descriptors: [UInt8] {
        guard isWhole else { return [] }
        let start = encoded.startIndex + 6 + 4 * count
        return Array(encoded[start..<(start + 32 * count)])
    }

    private var count: Int { encoded.count >= 6 ? Int(word(2)) : 0 }
    private var isWhole: Bool { encoded.count >= 6 && encoded.count == 6 + 36 * count }

    private func word(_ index: Int) -> UInt16 {
        let start = encoded.startIndex + 2 * index
        return UInt16(encoded[start]) | UInt16(encoded[start + 1]) << 8
    }
}
