/// What the frame reader found in the byte stream.
public enum FrameEvent {
    /// A complete message body, valid only during the callback.
    case message(UnsafeRawBufferPointer)
    /// A line larger than the limit, skipped without being held in memory.
    case oversized(bytes: Int, limit: Int)
    /// A Content-Length over the limit: the peer may never send that many bytes, and skipping
    /// what it sends instead would swallow its next messages, so the stream ends here.
    case oversizedDeclared(bytes: Int, limit: Int)
    /// Headers that cannot be read: the stream cannot be re-synchronised.
    case malformedHeader(String)
}
