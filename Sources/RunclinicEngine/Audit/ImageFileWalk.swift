import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The image files under some paths, handed out a chunk at a time: memory holds one listing per
/// folder being walked, never the dataset's list of files. The walk survives symlink loops (each
/// folder is entered once, by device and inode) and unreadable folders (listed, then skipped).
/// Within a folder, names are taken in sorted order; hidden names are left out.
public final class ImageFileWalk {
    /// Files that are not images by their extension, reported once and skipped (the first
    /// `reportedLimit` of them; `skippedCount` counts them all).
    public private(set) var skipped: [String] = []
    public private(set) var skippedCount = 0
    public private(set) var unreadableFolders: [String] = []
    /// Entries that are not regular files (FIFOs, sockets, devices), with what they are: never
    /// opened, since reading a FIFO or a device can block for good.
    public private(set) var notRegularFiles: [(path: String, kind: String)] = []
    /// Files whose names are not UTF-8 (a Latin-1 name from an old archive): no result could name
    /// them, so they are listed, their bytes past ASCII shown as \xNN, and not audited.
    public private(set) var undecodableNames: [String] = []
    static let reportedLimit = 1_000

    static let extensions: Set<String> = [
        "jpg", "jpeg", "jpe", "png", "gif", "bmp", "dib", "tif", "tiff", "webp", "jp2", "pbm", "pgm",
        "ppm", "pnm", "pxm", "sr", "ras", "hdr", "pic", "exr", "heic", "heif", "hif", "avif",
    ]

    /// A folder being walked: its path (nil for the roots), its names and the next one to take.
    private struct Listing {
        let folder: String?
        let names: [String]
        var next = 0
        let depth: Int
    }

    private let recursive: Bool
    private var listings: [Listing]
    private var visited: Set<String> = []

    public init(_ roots: [String], recursive: Bool) {
        self.recursive = recursive
        listings = [Listing(folder: nil, names: roots, depth: 0)]
    }

    /// How many images a walk of these paths finds (a walk of its own: the names are not kept).
    public static func count(_ roots: [String], recursive: Bool) -> Int {
        let walk = ImageFileWalk(roots, recursive: recursive)
        var total = 0
        while true {
            let chunk = walk.next(4_096)
            if chunk.isEmpty { return total }
            total += chunk.count
        }
    }

    /// Up to `limit` more image paths; empty when the walk is over.
    public func next(_ limit: Int) -> [String] {
        var images: [String] = []
        while images.count < limit, var listing = listings.popLast() {
            guard listing.next < listing.names.count else { continue }
            let name = listing.names[listing.next]
            listing.next += 1
            let depth = listing.depth
            let path = listing.folder.map { ($0 as NSString).appendingPathComponent(name) } ?? name
            listings.append(listing)
            visit(path, depth: depth, images: &images)
        }
        return images
    }

    private func visit(_ path: String, depth: Int, images: inout [String]) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            // A dangling link or a missing path: an image name is still worth a finding.
            if Self.isImageName(path) { images.append(path) } else { skip(path) }
            return
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            guard depth == 0 || recursive else { return }
            guard visited.insert("\(info.st_dev):\(info.st_ino)").inserted else { return }
            guard let names = names(in: path) else {
                unreadableFolders.append(path)
                return
            }
            listings.append(Listing(folder: path, names: names.sorted(), depth: depth + 1))
        } else if let kind = Self.specialKind(info.st_mode) {
            if notRegularFiles.count < Self.reportedLimit { notRegularFiles.append((path, kind)) }
        } else if Self.isImageName(path) {
            images.append(path)
        } else {
            skip(path)
        }
    }

    /// The names in a folder but hidden ones (and "." and ".."); those that are not UTF-8 go to
    /// `undecodableNames` instead (Foundation would hand them over with U+FFFD in place of their
    /// bytes, a name no file has).
    private func names(in folder: String) -> [String]? {
        guard let directory = opendir(folder) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            guard bytes.first != 0x2E else { continue }
            if let name = String(validating: bytes, as: UTF8.self) {
                names.append(name)
            } else if undecodableNames.count < Self.reportedLimit {
                undecodableNames.append((folder as NSString).appendingPathComponent(Self.escaped(bytes)))
            }
        }
        return names
    }

    /// A name's bytes as text: ASCII as it is, every other byte as \xNN.
    static func escaped(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { $0 < 0x80 ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16, uppercase: true) }
            .joined()
    }

    private func skip(_ path: String) {
        skippedCount += 1
        if skipped.count < Self.reportedLimit { skipped.append(path) }
    }

    /// What a file that is not a regular file is ("FIFO", "socket", ...); nil for a regular file.
    public static func specialKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFIFO: return "FIFO"
        case S_IFSOCK: return "socket"
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        default: return "special file"
        }
    }

    static func isImageName(_ path: String) -> Bool {
        extensions.contains((path as NSString).pathExtension.lowercased())
    }
}
