import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Accepts connections on a Unix domain socket (SocketClients serves them). The socket file is
/// created with mode 0600; a stale file is replaced, a live one (another server answering) refused.
public final class UnixSocketListener: @unchecked Sendable {
    public let path: String
    private let fileDescriptor: Int32
    /// The socket file this listener made (device and inode): only that file is removed at close.
    private let socketFile: (device: UInt64, inode: UInt64)?
    private let lock = NSLock()
    private var closed = false

    public struct ListenError: Error, CustomStringConvertible {
        public let description: String
    }

    public init(path: String) throws {
        self.path = path
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else {
            throw ListenError(
                description: "socket path is too long (\(path.utf8.count) bytes; Unix sockets allow 107): \(path)")
        }
        try Self.clearStaleSocket(at: path)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else {
            throw ListenError(description: "cannot create a socket: \(String(cString: strerror(errno)))")
        }
        // Bound under a private name and published only once listening: a client that waits for
        // the file to appear, then connects, is never refused.
        let staging = Self.stagingPath(for: path) ?? path
        // Left by a killed server that had our process number: private to us, so removed.
        if staging != path { unlink(staging) }
        do {
            try Self.bindAndListen(descriptor, at: staging, publishedAs: path)
            if staging != path { try Self.publish(staging, as: path) }
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        fileDescriptor = descriptor
        var made = stat()
        socketFile = lstat(path, &made) == 0 ? (UInt64(made.st_dev), UInt64(made.st_ino)) : nil
    }

    private static func bindAndListen(_ descriptor: Int32, at staging: String, publishedAs path: String) throws {
        var address = address(for: staging)
        let previousMask = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        umask(previousMask)
        guard bound == 0 else {
            throw ListenError(description: "cannot listen on \(path): \(String(cString: strerror(errno)))")
        }
        chmod(staging, 0o600)
        guard listen(descriptor, SOMAXCONN) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(staging)
            throw ListenError(description: "cannot listen on \(path): \(reason)")
        }
    }

    /// A name beside `path` for the socket before it listens, or nil when it would not fit.
    private static func stagingPath(for path: String) -> String? {
        let directory = (path as NSString).deletingLastPathComponent
        let name = ".runclinic-\(String(getpid(), radix: 36)).sock"
        let staging = directory.isEmpty ? name : directory + "/" + name
        return staging.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) ? staging : nil
    }

    /// Gives the listening socket its public name. A link, unlike a rename, never replaces a
    /// socket another server put there meanwhile.
    private static func publish(_ staging: String, as path: String) throws {
        defer { unlink(staging) }
        if link(staging, path) == 0 { return }
        let linkError = errno
        if linkError != EEXIST && rename(staging, path) == 0 { return }
        throw ListenError(description: "cannot listen on \(path): \(String(cString: strerror(linkError)))")
    }

    static func address(for path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// A socket file nobody answers on is left over from a killed server: remove it. One that
    /// answers belongs to a live server: refuse rather than steal its clients.
    static func clearStaleSocket(at path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw ListenError(description: "\(path) exists and is not a socket; refusing to replace it")
        }
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(probe) }
        var address = address(for: path)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if connected == 0 {
            throw ListenError(description: "another runclinic server is already listening on \(path)")
        }
        unlink(path)
    }

    /// Accepts clients until `close()`, handing each new descriptor to `onAccept`.
    public func acceptLoop(onAccept: (_ clientDescriptor: Int32) -> Void) {
        while true {
            let client = accept(fileDescriptor, nil, nil)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if isClosed { return }
                if errno == EMFILE || errno == ENFILE {
                    // Out of descriptors: wait for clients to leave rather than spin.
                    usleep(50_000)
                    continue
                }
                return
            }
            onAccept(client)
        }
    }

    private var isClosed: Bool { lock.withLock { closed } }

    /// Removes the socket file, then stops accepting. Holds the lock throughout, so the accept
    /// loop (which asks `isClosed`) returns only once the file is gone. Only the socket this
    /// listener made is removed: whatever was put at the path since (another server's socket, a
    /// file) is left alone.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        var current = stat()
        if let socketFile, lstat(path, &current) == 0, (current.st_mode & S_IFMT) == S_IFSOCK,
            UInt64(current.st_dev) == socketFile.device, UInt64(current.st_ino) == socketFile.inode
        {
            unlink(path)
        }
        shutdown(fileDescriptor, Int32(SHUT_RDWR))
        Glibc.close(fileDescriptor)
        closed = true
    }
}
