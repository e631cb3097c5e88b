import Foundation

/// What an image file says about itself before any decoding: its format, its size (so a
/// decompression bomb is refused unread), whether it ends where its format says it must (OpenCV
/// half-decodes a truncated JPEG or PNG without an error), and its EXIF orientation.
public struct ImageHeader: Sendable, Equatable {
    public enum Format: String, Sendable { case jpeg, png, bmp, gif, webp, tiff, heif }

    public var format: Format?
    public var width: Int?
    public var height: Int?
    /// The end-of-image marker (JPEG FF D9), chunk (PNG IEND) or trailer (GIF 3B) is missing, or a
    /// HEIF box runs past the end of the file.
    public var isTruncated = false
    /// EXIF orientation 1-8 (1: as stored), when the file carries one.
    public var exifOrientation: Int?
    public var byteCount: Int

    /// Reads the first 16 KiB and the last 64 bytes of the file, and the first 256 KiB when the
    /// size is not in the first 16 (a JPEG's frame header can follow large EXIF and ICC segments).
    public static func read(path: String) throws -> ImageHeader {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        var tail: [UInt8] = []
        if size > 0 {
            try handle.seek(toOffset: UInt64(max(0, size - 64)))
            tail = [UInt8](try handle.read(upToCount: 64) ?? Data())
        }
        let shortHead = 16 * 1024
        try handle.seek(toOffset: 0)
        let header = parse(head: [UInt8](try handle.read(upToCount: shortHead) ?? Data()), tail: tail, byteCount: size)
        guard header.width == nil, size > shortHead else { return header }
        try handle.seek(toOffset: 0)
        return parse(head: [UInt8](try handle.read(upToCount: 256 * 1024) ?? Data()), tail: tail, byteCount: size)
    }

    public static func parse(head: [UInt8], tail: [UInt8], byteCount: Int) -> ImageHeader {
        var header = ImageHeader(byteCount: byteCount)
        if head.starts(with: [0xFF, 0xD8, 0xFF]) {
            header.format = .jpeg
            header.readJPEG(head)
            // Some writers pad after the end marker: look for it among the last bytes.
            header.isTruncated = !containsPair(tail, 0xFF, 0xD9)
        } else if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            header.format = .png
            if head.count >= 24 {
                header.width = Int(bigEndian32(head, 16))
                header.height = Int(bigEndian32(head, 20))
            }
            header.isTruncated = !containsSequence(tail, Array("IEND".utf8))
        } else if head.starts(with: Array("BM".utf8)), head.count >= 26 {
            header.format = .bmp
            header.width = Int(Int32(bitPattern: littleEndian32(head, 18)))
            header.height = abs(Int(Int32(bitPattern: littleEndian32(head, 22))))
        } else if head.starts(with: Array("GIF8".utf8)), head.count >= 10 {
            header.format = .gif
            header.width = Int(littleEndian16(head, 6))
            header.height = Int(littleEndian16(head, 8))
            // The trailer ends the stream; zeros a writer padded it with are let pass.
            header.isTruncated = tail.last(where: { $0 != 0 }) != 0x3B
        } else if head.count >= 30, head.starts(with: Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) {
            header.format = .webp
            header.readWebP(head)
        } else if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            header.format = .tiff
        } else if head.count >= 12, Array(head[4..<8]) == Array("ftyp".utf8),
            heifBrands.contains(String(decoding: head[8..<12], as: UTF8.self))
        {
            header.format = .heif
            header.readHEIF(head)
            header.isTruncated = boxesRunPastTheEnd(head, byteCount: byteCount)
        }
        return header
    }

    public var pixelCount: Int? {
        guard let width, let height else { return nil }
        return width.multipliedReportingOverflow(by: height).overflow ? Int.max : width * height
    }

    private mutating func readJPEG(_ bytes: [UInt8]) {
        var index = 2
        while index + 4 <= bytes.count {
            guard bytes[index] == 0xFF else { return }
            let marker = bytes[index + 1]
            if marker == 0xFF {
                index += 1
                continue
            }
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 {
                index += 2
                continue
            }
            let length = Int(ImageHeader.bigEndian16(bytes, index + 2))
            guard length >= 2 else { return }
            let segment = index + 4
            switch marker {
            case 0xC0...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
                if segment + 5 <= bytes.count {
                    height = Int(ImageHeader.bigEndian16(bytes, segment + 1))
                    width = Int(ImageHeader.bigEndian16(bytes, segment + 3))
                }
                return
            case 0xE1:
                let end = min(bytes.count, segment + length - 2)
                if end > segment {
                    exifOrientation = ImageHeader.exifOrientation(Array(bytes[segment..<end])) ?? exifOrientation
                }
            case 0xDA:
                return
            default:
                break
            }
            index = segment + length - 2
        }
    }

    /// Whether a top-level box of an ISO media file (HEIF) that starts in `head` claims more bytes
    /// than the file has: its media data box (the last, as a rule) is cut off.
    static func boxesRunPastTheEnd(_ head: [UInt8], byteCount: Int) -> Bool {
        var offset = 0
        while offset + 8 <= head.count {
            var size = Int(bigEndian32(head, offset))
            if size == 1 {
                guard offset + 16 <= head.count else { return false }
                size = Int(
                    clamping: UInt64(bigEndian32(head, offset + 8)) << 32 | UInt64(bigEndian32(head, offset + 12)))
            } else if size == 0 {
                return false  // the box runs to the end of the file, whatever that is
            }
            guard size >= 8 else { return false }  // not a box: nothing to say
            if offset + size > byteCount { return true }
            offset += size
        }
        return false
    }

    /// The major brands of HEIF files: HEIC as phones write it, HEIF stills, AVIF.
    static let heifBrands: Set<String> = [
        "heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1", "avif", "avis",
    ]

    /// A HEIF file's size: its largest image spatial extent ('ispe' property, in the metadata that
    /// phones write at the front), which a grid of tiles has for the whole picture.
    private mutating func readHEIF(_ bytes: [UInt8]) {
        let box = Array("ispe".utf8)
        var largest = 0
        var index = 4
        while index + 16 <= bytes.count {
            defer { index += 1 }
            guard bytes[index] == box[0], Array(bytes[index..<index + 4]) == box else { continue }
            let across = Int(Self.bigEndian32(bytes, index + 8))
            let down = Int(Self.bigEndian32(bytes, index + 12))
            if across > 0, down > 0, across * down > largest {
                largest = across * down
                width = across
                height = down
            }
        }
    }

    private mutating func readWebP(_ bytes: [UInt8]) {
        let chunk = String(decoding: bytes[12..<16], as: UTF8.self)
        switch chunk {
        case "VP8 " where bytes.count >= 30:
            width = Int(ImageHeader.littleEndian16(bytes, 26) & 0x3FFF)
            height = Int(ImageHeader.littleEndian16(bytes, 28) & 0x3FFF)
        case "VP8L" where bytes.count >= 25:
            let bits = ImageHeader.littleEndian32(bytes, 21)
            width = Int(bits & 0x3FFF) + 1
            height = Int((bits >> 14) & 0x3FFF) + 1
        case "VP8X" where bytes.count >= 30:
            width = Int(UInt32(bytes[24]) | UInt32(bytes[25]) << 8 | UInt32(bytes[26]) << 16) + 1
            height = Int(UInt32(bytes[27]) | UInt32(bytes[28]) << 8 | UInt32(bytes[29]) << 16) + 1
        default:
            break
        }
    }

    /// The Orientation tag (0x0112) of an APP1 "Exif" segment.
    static func exifOrientation(_ segment: [UInt8]) -> Int? {
        guard segment.starts(with: Array("Exif".utf8) + [0, 0]), segment.count >= 14 else { return nil }
        let tiff = Array(segment[6...])
        let little = tiff.starts(with: [0x49, 0x49])
        func read16(_ offset: Int) -> Int? {
            guard offset + 2 <= tiff.count else { return nil }
            return Int(little ? littleEndian16(tiff, offset) : bigEndian16(tiff, offset))
        }
        func read32(_ offset: Int) -> Int? {
            guard offset + 4 <= tiff.count else { return nil }
            return Int(little ? littleEndian32(tiff, offset) : bigEndian32(tiff, offset))
        }
        guard let directory = read32(4), let entries = read16(directory) else { return nil }
        for entry in 0..<min(entries, 256) {
            let offset = directory + 2 + entry * 12
            guard let tag = read16(offset) else { return nil }
            if tag == 0x0112 { return read16(offset + 8) }
        }
        return nil
    }

    static func bigEndian16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
    static func littleEndian16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset + 1]) << 8 | UInt16(bytes[offset])
    }
    static func bigEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bigEndian16(bytes, offset)) << 16 | UInt32(bigEndian16(bytes, offset + 2))
    }
    static func littleEndian32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(littleEndian16(bytes, offset + 2)) << 16 | UInt32(littleEndian16(bytes, offset))
    }

    static func containsPair(_ bytes: [UInt8], _ first: UInt8, _ second: UInt8) -> Bool {
        bytes.indices.dropLast().contains { bytes[$0] == first && bytes[$0 + 1] == second }
    }

    static func containsSequence(_ bytes: [UInt8], _ needle: [UInt8]) -> Bool {
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { Array(bytes[$0..<($0 + needle.count)]) == needle }
    }
}
