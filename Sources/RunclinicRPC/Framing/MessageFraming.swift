/// How messages are delimited on a connection, detected from its first bytes.
public enum MessageFraming: String, Sendable {
    /// LSP base protocol: `Content-Length: N\r\n\r\n` then N bytes (VS Code, Neovim, Emacs clients).
    case contentLength = "content-length"
    /// One JSON document per line (scripts, MCP-style stdio clients).
    case newlineDelimited = "ndjson"

    /// Appends one framed message to `output`.
    public func frame(_ body: [UInt8], into output: inout [UInt8]) {
        switch self {
        case .contentLength:
            output.append(contentsOf: "Content-Length: \(body.count)\r\n\r\n".utf8)
            output.append(contentsOf: body)
        case .newlineDelimited:
            output.append(contentsOf: body)
            output.append(0x0A)
        }
    }
}
