#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The image files under some paths: a walk that survives symlink loops (each directory is
/// entered once, by device and inode) and unreadable folders (listed, then skipped).
public struct ImageFiles: Sendable {
    public var images: [String] = []
    /// Files that are not images by their extension, reported once and skipped.
    public var skipped: [String] = []
    public var unreadableFolders: [String] = []

    static let extensions: Set<String> = ["jpg", "jpeg", "jpe", "png", "bmp", "dib", "tif", "tiff", "webp", "jp2", "pbm", "pgm",
                                          "ppm", "pnm", "pxm", "sr", "ras", "hdr", "pic", "exr"]

    public static func collect(_ roots: [String], recursive: Bool) -> ImageFiles {
        var files = ImageFiles()
        var visited: Set<String> = []
        for root in roots { files.visit(root, recursive: recursive, depth: 0, visited: &visited) }
        files.images.sort()
        return files
    }

    private mutating func visit(_ path: String, recursive: Bool, depth: Int, visited: inout Set<String>) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            // A dangling link or a missing path: an image name is still worth a finding.
            if isImageName(path) { images.append(path) } else { skipped.append(path) }
            return
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            guard depth == 0 || recursive else { return }
            guard visited.insert("\(info.st_dev):\(info.st_ino)").inserted else { return }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else {
                unreadableFolders.append(path)
                return
            }
            for name in names.sorted() where !name.hasPrefix(".") {
                visit((path as NSString).appendingPathComponent(name), recursive: recursive, depth: depth + 1, visited: &visited)
            }
        } else if isImageName(path) {
            images.append(path)
        } else {
            skipped.append(path)
        }
    }

    private func isImageName(_ path: String) -> Bool {
        Self.extensions.contains((path as NSString).pathExtension.lowercased())
    }
}
