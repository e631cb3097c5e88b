/// TFRecord framing of TensorBoard event files: `uint64 length`, `uint32 masked CRC-32C of the
/// length`, the payload, `uint32 masked CRC-32C of the payload`; no file header, no blocks.
enum TFRecordFraming {
    struct Failure: Error {
        let offset: Int
        let reason: String
    }

    /// Calls `record` with each payload and its record's offset; returns the offset of a record
    /// cut off by the end of the file (a writer still appending), if any.
    static func readRecords(_ bytes: UnsafeRawBufferPointer, _ record: (UnsafeRawBufferPointer, Int) throws -> Void)
        throws -> Int?
    {
        let crc = CRC32.castagnoli
        var position = 0
        let count = bytes.count
        while position < count {
            guard count - position >= 12 else { return position }
            let lengthBytes = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + 8)])
            let storedLengthCRC = UInt32(
                littleEndian: bytes.loadUnaligned(fromByteOffset: position + 8, as: UInt32.self))
            guard CRC32.masked(crc.checksum(lengthBytes)) == storedLengthCRC else {
                throw Failure(
                    offset: position, reason: "length checksum mismatch: not a TFRecord event file, or a damaged one")
            }
            let length = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
            guard length <= UInt64(count - position - 12) else {
                // The length itself is checksummed: a shorter file is a record still being written.
                return position
            }
            let start = position + 12
            let end = start + Int(length)
            guard count - end >= 4 else { return position }
            let payload = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            let storedCRC = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: end, as: UInt32.self))
            let actual = CRC32.masked(crc.checksum(payload))
            guard actual == storedCRC else {
                throw Failure(
                    offset: position,
                    reason: "payload checksum mismatch in a record of \(length) bytes: the file is damaged")
            }
            try record(payload, position)
            position = end + 4
        }
        return nil
    }
}
