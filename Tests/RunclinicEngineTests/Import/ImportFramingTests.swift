import Foundation
import Testing

@testable import RunclinicEngine

/// The byte-level pieces of the import readers, against published check values and against logs
/// framed here by the rules FORMATS.md documents (multi-chunk records, block trailers, torn tails).
@Suite struct ImportFramingTests {
    @Test func checksumsMatchTheirCheckValues() {
        // The standard check input "123456789": CRC-32 0xCBF43926, CRC-32C 0xE3069283.
        let input = Array("123456789".utf8)
        input.withUnsafeBytes { bytes in
            #expect(CRC32.ieee.checksum(bytes) == 0xCBF4_3926)
            #expect(CRC32.castagnoli.checksum(bytes) == 0xE306_9283)
            // Continuing over a split gives the same CRC as one pass (slice-by-8 and the byte tail agree).
            let head = UnsafeRawBufferPointer(rebasing: bytes[0..<5])
            let tail = UnsafeRawBufferPointer(rebasing: bytes[5...])
            #expect(CRC32.ieee.checksum(tail, continuing: CRC32.ieee.checksum(head)) == 0xCBF4_3926)
        }
        let long = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        long.withUnsafeBytes { bytes in
            var bitwise: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                bitwise ^= UInt32(byte)
                for _ in 0..<8 { bitwise = bitwise & 1 == 1 ? (bitwise >> 1) ^ 0xEDB8_8320 : bitwise >> 1 }
            }
            #expect(CRC32.ieee.checksum(bytes) == ~bitwise)
        }
    }

    @Test func protobufVarintsAndZigZag() throws {
        // field 1 varint 300; field 2 sint64 -3 (zig-zag 5); field 3 double 0.5; field 4 string "ab".
        var message: [UInt8] = [0x08, 0xAC, 0x02, 0x10, 0x05, 0x19]
        message += withUnsafeBytes(of: (0.5).bitPattern.littleEndian, Array.init)
        message += [0x22, 0x02, 0x61, 0x62]
        try message.withUnsafeBytes { bytes in
            var reader = ProtobufReader(bytes)
            #expect(try reader.nextField()?.number == 1)
            #expect(try reader.varint() == 300)
            _ = try reader.nextField()
            #expect(try reader.zigZagInt64() == -3)
            _ = try reader.nextField()
            #expect(try reader.double() == 0.5)
            _ = try reader.nextField()
            #expect(try reader.string() == "ab")
            #expect(try reader.nextField() == nil)
        }
        // A length running past the end is refused, not read beyond the buffer.
        ([0x22, 0x09, 0x61] as [UInt8]).withUnsafeBytes { bytes in
            var reader = ProtobufReader(bytes)
            _ = try? reader.nextField()
            #expect(throws: ProtobufReader.Malformed.self) { try reader.lengthDelimited() }
        }
    }

    /// Frames payloads as wandb does: header, 32 KiB blocks, chunks split at block ends.
    private func wandbLog(_ payloads: [[UInt8]]) -> [UInt8] {
        var file: [UInt8] = Array(":W&B".utf8) + [0xE1, 0xBE, 0x00]
        func chunk(_ type: UInt8, _ payload: ArraySlice<UInt8>) {
            let crc = [type].withUnsafeBytes { typeBytes in
                Array(payload).withUnsafeBytes { CRC32.ieee.checksum($0, continuing: CRC32.ieee.checksum(typeBytes)) }
            }
            file += withUnsafeBytes(of: crc.littleEndian, Array.init)
            file += withUnsafeBytes(of: UInt16(payload.count).littleEndian, Array.init)
            file.append(type)
            file += payload
        }
        for payload in payloads {
            var rest = payload[...]
            var first = true
            repeat {
                var room = 32_768 - file.count % 32_768
                if room < 7 {
                    file += [UInt8](repeating: 0, count: room)
                    room = 32_768
                }
                let take = min(rest.count, room - 7)
                let isLast = take == rest.count
                chunk(first ? (isLast ? 1 : 2) : (isLast ? 4 : 3), rest.prefix(take))
                rest = rest.dropFirst(take)
                first = false
            } while !rest.isEmpty
        }
        return file
    }

    @Test func wandbRecordsSpanningBlocksComeBackWhole() throws {
        let payloads: [[UInt8]] = [
            [1, 2, 3], (0..<100_000).map { UInt8(truncatingIfNeeded: $0) }, [9], (0..<32_750).map { _ in 7 }, [4, 4],
        ]
        let file = wandbLog(payloads)
        var read: [[UInt8]] = []
        let torn = try file.withUnsafeBytes { bytes in
            try WandbLogFraming.readRecords(bytes) { payload, _ in read.append(Array(payload)) }
        }
        #expect(torn == nil)
        #expect(read == payloads)
        // Cut inside the 100 kB record: the record before it is kept, the cut is reported there.
        var partial: [[UInt8]] = []
        let cut = try Array(file.prefix(50_000)).withUnsafeBytes { bytes in
            try WandbLogFraming.readRecords(bytes) { payload, _ in partial.append(Array(payload)) }
        }
        #expect(partial == [payloads[0]])
        #expect(cut?.offset == 7 + 7 + 3)
    }

    @Test func damagedWandbChunksAreRefusedWithTheirOffset() {
        var file = wandbLog([[1, 2, 3], [5, 6, 7, 8]])
        file[7 + 7 + 3 + 7 + 1] ^= 0x01  // a payload byte of the second record
        #expect {
            try file.withUnsafeBytes { bytes in _ = try WandbLogFraming.readRecords(bytes) { _, _ in } }
        } throws: { error in
            (error as? WandbLogFraming.Failure)?.offset == 17
        }
    }

    @Test func loggedNumbersParseEverySpelling() {
        #expect(LoggedNumber.parse("0.09999999999999998") == 0.09999999999999998)
        #expect(LoggedNumber.parse("1.795933540075525e+09") == 1.795933540075525e+09)
        #expect(LoggedNumber.parse("NaN")!.isNaN && LoggedNumber.parse("nan")!.isNaN)
        #expect(LoggedNumber.parse("Infinity") == .infinity && LoggedNumber.parse("-inf") == -.infinity)
        #expect(
            LoggedNumber.parse("\"text\"") == nil && LoggedNumber.parse("true") == nil && LoggedNumber.parse("") == nil)
        #expect(
            RunExporter.number(0.1) == "0.1" && RunExporter.number(-.infinity) == "-inf"
                && RunExporter.number(.nan) == "nan")
    }
}
