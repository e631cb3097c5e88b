#if canImport(Glibc)
    import Glibc
#endif

/// The client end of a Unix socket, for the `call` command and tests.
public enum UnixSocketClient {
    public struct ConnectError: Error, CustomStringConvertible {
        public let description: String
    }

    public static func connect(path: String) throws -> Int32 {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ConnectError(description: "cannot create a socket") }
        var address = UnixSocketListener.address(for: path)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ConnectError(description: "cannot connect to \(path): \(reason)")
        }
        return descriptor
    }

    /// Reads up to the first newline (the reply of a newline-delimited exchange).
    public static func readLine(from descriptor: Int32) -> [UInt8]? {
        var line: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return line.isEmpty ? nil : line }
            for byte in chunk[0..<count] {
                if byte == 0x0A { return line }
                line.append(byte)
            }
        }
    }
}
