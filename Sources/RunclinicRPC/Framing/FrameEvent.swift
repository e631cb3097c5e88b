/// What the frame reader found in the byte stream.
public enum FrameEvent {
    /// A complete message body, valid only during the callback.
    case message(UnsafeRawBufferPointer)
    /// A message larger than the limit, skipped without being held in memory.
    case oversized(bytes: Int, limit: Int)
    /// Headers that cannot be read: the stream cannot be re-synchronised.
    case malformedHeader(String)
}
