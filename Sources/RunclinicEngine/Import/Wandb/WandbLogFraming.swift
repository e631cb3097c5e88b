/// The container of a `.wandb` transaction log: a 7-byte file header (":W&B", magic 0xBEE1,
/// version 0), then LevelDB log records in 32 KiB blocks counted from offset 0. Each chunk is
/// CRC-32 (IEEE, over the type byte and the payload), length, type (FULL, FIRST, MIDDLE, LAST).
struct WandbLogFraming {
    static let blockLength = 32_768
    static let chunkHeaderLength = 7

    enum ChunkType: UInt8 {
        case full = 1
        case first = 2
        case middle = 3
        case last = 4
    }

    struct Failure: Error {
        let offset: Int
        let reason: String
    }

    /// Where reading stopped early because the file ends inside a record: a run still being
    /// written (wandb appends whole blocks) or a crashed writer. Records before it are complete.
    struct TornTail {
        let offset: Int
        let fileLength: Int
    }

    /// Calls `record` with each record's payload and its offset; returns the torn tail, if any.
    static func readRecords(
        _ bytes: UnsafeRawBufferPointer,
        _ record: (UnsafeRawBufferPointer, Int) throws -> Void
    ) throws -> TornTail? {
        try checkHeader(bytes)
        let crc = CRC32.ieee
        var position = 7
        var assembled: [UInt8] = []
        var recordStart: Int?
        let count = bytes.count
        while position < count {
            let blockRemaining = blockLength - position % blockLength
            if blockRemaining < chunkHeaderLength {
                position += blockRemaining  // trailer padding
                continue
            }
            guard count - position >= chunkHeaderLength else {
                return TornTail(offset: recordStart ?? position, fileLength: count)
            }
            let checksum = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
            let length = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: position + 4, as: UInt16.self)))
            let typeByte = bytes[position + 6]
            if checksum == 0, length == 0, typeByte == 0 {
                // A zeroed header: the rest of the block is padding (or not yet written).
                position += blockRemaining
                continue
            }
            guard chunkHeaderLength + length <= blockRemaining else {
                throw Failure(
                    offset: position, reason: "chunk of \(length) bytes runs past the end of its 32 KiB block")
            }
            guard count - position - chunkHeaderLength >= length else {
                return TornTail(offset: recordStart ?? position, fileLength: count)
            }
            let payload = UnsafeRawBufferPointer(
                rebasing: bytes[(position + chunkHeaderLength)..<(position + chunkHeaderLength + length)])
            var typeCopy = typeByte
            let actual = withUnsafeBytes(of: &typeCopy) { crc.checksum(payload, continuing: crc.checksum($0)) }
            guard actual == checksum else {
                throw Failure(
                    offset: position,
                    reason:
                        "checksum mismatch in a chunk (stored \(hex(checksum)), computed \(hex(actual))): the file is damaged"
                )
            }
            guard let type = ChunkType(rawValue: typeByte) else {
                throw Failure(offset: position, reason: "unknown chunk type \(typeByte)")
            }
            switch type {
            case .full:
                guard recordStart == nil else {
                    throw Failure(offset: position, reason: "a FULL chunk inside a multi-chunk record")
                }
                try record(payload, position)
            case .first:
                guard recordStart == nil else {
                    throw Failure(offset: position, reason: "a FIRST chunk inside a multi-chunk record")
                }
                recordStart = position
                assembled.removeAll(keepingCapacity: true)
                assembled.append(contentsOf: payload)
            case .middle, .last:
                guard let start = recordStart else {
                    throw Failure(
                        offset: position,
                        reason: "a \(type == .middle ? "MIDDLE" : "LAST") chunk without a FIRST chunk before it")
                }
                assembled.append(contentsOf: payload)
                if type == .last {
                    try assembled.withUnsafeBytes { try record($0, start) }
                    recordStart = nil
                }
            }
            position += chunkHeaderLength + length
        }
        if let recordStart { return TornTail(offset: recordStart, fileLength: count) }
        return nil
    }

    private static func checkHeader(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count >= 7 else {
            throw Failure(offset: 0, reason: "only \(bytes.count) bytes: too short for the 7-byte wandb header")
        }
        guard bytes[0] == UInt8(ascii: ":"), bytes[1] == UInt8(ascii: "W"), bytes[2] == UInt8(ascii: "&"),
            bytes[3] == UInt8(ascii: "B")
        else {
            throw Failure(offset: 0, reason: "not a wandb transaction log (expected \":W&B\" at the start)")
        }
        let magic = UInt16(bytes[4]) | UInt16(bytes[5]) << 8
        guard magic == 0xBEE1 else {
            throw Failure(offset: 4, reason: "wrong magic \(hex(UInt32(magic))) (expected 0xbee1)")
        }
        guard bytes[6] == 0 else {
            throw Failure(offset: 6, reason: "log version \(bytes[6]) is not supported (expected 0)")
        }
    }

    private static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }
}
