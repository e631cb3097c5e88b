/// A 64-bit digest of everything the dataset-wide checks read of an audit's images, in order,
/// and of the checks' version: an audit whose digest matches an earlier one's takes that audit's
/// duplicate, near-duplicate and odd-size findings instead of searching again (a re-audit of an
/// unchanged folder costs its reads, not a new search).
struct DatasetFingerprint {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    init(version: Int, thresholds: String) {
        combine(UInt64(version))
        for byte in thresholds.utf8 { combine(UInt64(byte)) }
    }

    mutating func combine(_ image: DatasetChecks.Image) {
        for byte in image.path.utf8 { combine(UInt64(byte)) }
        combine(0xFFFF)  // ends the path: "ab"+"c" and "a"+"bc" differ
        combine(image.readable ? 1 : 0)
        combine(UInt64(image.size))
        combine(image.contentHash)
        for value in [image.width, image.height, image.textMarks] {
            combine(value.map { UInt64(bitPattern: Int64($0)) } ?? .max)
        }
        for hash in [image.differenceHash, image.averageHash, image.perceptualHash] {
            combine(hash == nil ? 0 : 1)
            combine(hash ?? 0)
        }
    }

    /// FNV-1a over 64-bit words with a final mix, as the content hash.
    private mutating func combine(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01B3
        value ^= value >> 29
    }
}
