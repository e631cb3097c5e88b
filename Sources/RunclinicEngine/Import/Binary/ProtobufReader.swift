/// Reads protobuf wire format (the encoding of `.wandb` records and TensorBoard events) field by
/// field, without a schema: callers switch on field numbers and skip what they do not know, as
/// proto3 readers must to keep working on newer files.
struct ProtobufReader {
    enum WireType: UInt8 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case startGroup = 3
        case endGroup = 4
        case fixed32 = 5
    }

    struct Malformed: Error {
        /// Offset of the problem from the start of the message.
        let offset: Int
        let reason: String
    }

    private let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    private let end: Int

    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>? = nil) {
        self.bytes = bytes
        position = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
    }

    var isAtEnd: Bool { position >= end }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws(Malformed) -> (number: Int, wireType: WireType)? {
        guard position < end else { return nil }
        let key = try varint()
        guard let wireType = WireType(rawValue: UInt8(key & 7)) else {
            throw Malformed(offset: position, reason: "unknown wire type \(key & 7)")
        }
        let number = Int(truncatingIfNeeded: key >> 3)
        guard number > 0 else { throw Malformed(offset: position, reason: "field number 0") }
        return (number, wireType)
    }

    mutating func varint() throws(Malformed) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < end {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            guard shift < 64 else { throw Malformed(offset: position, reason: "varint longer than 10 bytes") }
        }
        throw Malformed(offset: position, reason: "varint cut off at the end of the message")
    }

    mutating func int64() throws(Malformed) -> Int64 { Int64(bitPattern: try varint()) }

    /// `sint64`: zig-zag encoded.
    mutating func zigZagInt64() throws(Malformed) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func fixed64() throws(Malformed) -> UInt64 {
        guard end - position >= 8 else { throw Malformed(offset: position, reason: "64-bit field cut off") }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    mutating func fixed32() throws(Malformed) -> UInt32 {
        guard end - position >= 4 else { throw Malformed(offset: position, reason: "32-bit field cut off") }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position += 4
        return UInt32(littleEndian: value)
    }

    mutating func double() throws(Malformed) -> Double { Double(bitPattern: try fixed64()) }
    mutating func float() throws(Malformed) -> Float { Float(bitPattern: try fixed32()) }

    /// The byte range of a length-delimited field (string, bytes, sub-message, packed values).
    mutating func lengthDelimited() throws(Malformed) -> Range<Int> {
        let length = try varint()
        guard length <= UInt64(end - position) else {
            throw Malformed(offset: position, reason: "length \(length) runs past the end of the message")
        }
        let start = position
        position += Int(length)
        return start..<position
    }

    mutating func string() throws(Malformed) -> String {
        let range = try lengthDelimited()
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// A reader over a sub-message of this one.
    mutating func message() throws(Malformed) -> ProtobufReader {
        ProtobufReader(bytes, range: try lengthDelimited())
    }

    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[range])
    }

    mutating func skip(_ wireType: WireType) throws(Malformed) {
        switch wireType {
        case .varint: _ = try varint()
        case .fixed64: _ = try fixed64()
        case .fixed32: _ = try fixed32()
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup, .endGroup: throw Malformed(offset: position, reason: "groups are not used by these formats")
        }
    }
}
