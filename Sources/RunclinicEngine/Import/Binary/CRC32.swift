/// CRC-32 over a reflected polynomial, eight bytes per step (slicing-by-8): `.wandb` logs use the
/// IEEE polynomial (zlib's), TFRecord files the Castagnoli one (CRC-32C).
struct CRC32: Sendable {
    static let ieee = CRC32(polynomial: 0xEDB8_8320)
    static let castagnoli = CRC32(polynomial: 0x82F6_3B78)

    /// tables[k][b]: the CRC of byte b followed by k zero bytes.
    private let tables: [[UInt32]]

    private init(polynomial: UInt32) {
        var first = [UInt32](repeating: 0, count: 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            first[byte] = crc
        }
        var tables = [first]
        for k in 1..<8 {
            tables.append(
                (0..<256).map { byte in
                    let previous = tables[k - 1][byte]
                    return (previous >> 8) ^ first[Int(previous & 0xFF)]
                })
        }
        self.tables = tables
    }

    /// Continues `crc` (the finished CRC of what came before; 0 to start) over `bytes`.
    func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var crc = ~crc
        var index = 0
        let count = bytes.count
        tables.withUnsafeBufferPointer { tables in
            let t0 = tables[0]
            let t1 = tables[1]
            let t2 = tables[2]
            let t3 = tables[3]
            let t4 = tables[4]
            let t5 = tables[5]
            let t6 = tables[6]
            let t7 = tables[7]
            while count - index >= 8 {
                let low = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self)) ^ crc
                let high = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self))
                crc =
                    t7[Int(low & 0xFF)] ^ t6[Int((low >> 8) & 0xFF)] ^ t5[Int((low >> 16) & 0xFF)] ^ t4[Int(low >> 24)]
                    ^ t3[Int(high & 0xFF)] ^ t2[Int((high >> 8) & 0xFF)] ^ t1[Int((high >> 16) & 0xFF)]
                    ^ t0[Int(high >> 24)]
                index += 8
            }
            while index < count {
                crc = (crc >> 8) ^ t0[Int((crc ^ UInt32(bytes[index])) & 0xFF)]
                index += 1
            }
        }
        return ~crc
    }

    /// TFRecord's masked form of a CRC-32C, so that a CRC of data holding CRCs stays strong.
    static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
