import Foundation

/// An image file the page may show, read whole: the dashboard serves only images the store
/// knows (audited, or samples of a logged batch), and says which kind it is from its first bytes.
struct ImageFile {
    let bytes: Data
    let contentType: String

    /// Larger files are not sent to a browser.
    static let maximumBytes = 64 << 20

    enum Failure: Error, CustomStringConvertible {
        case unknown(String)
        case unreadable(String, String)
        case tooLarge(String, Int)

        var description: String {
            switch self {
            case .unknown(let path): "\(path) is not an image this store knows (audited, or a sample of a logged batch)"
            case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
            case .tooLarge(let path, let bytes): "\(path) holds \(bytes) bytes, over the \(maximumBytes)-byte limit"
            }
        }
    }

    static func read(_ path: String) throws(Failure) -> ImageFile {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw .unreadable(path, "no such file")
        }
        // A FIFO or a device would hold the request: only regular files are opened.
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw .unreadable(path, "not a regular file")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maximumBytes else { throw .tooLarge(path, size) }
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path, "permission denied or read error")
        }
        return ImageFile(bytes: bytes, contentType: contentType(of: bytes))
    }

    /// A small SVG that says why a file cannot be shown.
    static func placeholder(saying reason: String) -> String {
        let escaped = reason.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="240" height="160" viewBox="0 0 240 160">\
            <rect width="240" height="160" fill="#f4f4f5"/>\
            <foreignObject x="8" y="8" width="224" height="144"><div xmlns="http://www.w3.org/1999/xhtml" \
            style="font:11px sans-serif;color:#667085;word-break:break-all">cannot show this file: \(escaped)</div>\
            </foreignObject></svg>
            """
    }

    static func contentType(of bytes: Data) -> String {
        let head = [UInt8](bytes.prefix(12))
        func starts(_ magic: [UInt8]) -> Bool { head.count >= magic.count && Array(head.prefix(magic.count)) == magic }
        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts([0x89, 0x50, 0x4E, 0x47]) { return "image/png" }
        if starts(Array("GIF8".utf8)) { return "image/gif" }
        if starts(Array("BM".utf8)) { return "image/bmp" }
        if head.count >= 12, starts(Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) {
            return "image/webp"
        }
        return "application/octet-stream"
    }
}
