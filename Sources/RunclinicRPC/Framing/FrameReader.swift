#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Splits a byte stream into message bodies, detecting the framing from the first bytes. Bytes of
/// a line over the size limit are dropped as they arrive, so memory stays bounded; a Content-Length
/// over the limit ends the stream.
public struct FrameReader {
    public let limit: Int
    public private(set) var framing: MessageFraming?
    public private(set) var isBroken = false

    private var buffer: [UInt8] = []
    private var start = 0
    /// Length so far of an oversized line being skipped (newline-delimited framing).
    private var discardedLineLength: Int?

    /// Headers longer than this are not LSP headers.
    static let maximumHeaderBytes = 8192

    public init(limit: Int, framing: MessageFraming? = nil) {
        self.limit = limit
        self.framing = framing
    }

    /// Whether a complete message may be waiting in the buffer (the reader then keeps going
    /// before flushing replies).
    public var hasBufferedBytes: Bool { buffer.count > start }

    /// Appends bytes and reports each complete frame with the connection's framing.
    public mutating func consume(_ chunk: UnsafeRawBufferPointer, _ handle: (FrameEvent, MessageFraming) -> Void) {
        guard !isBroken else { return }
        // A large message grows the buffer by a quarter at a time, not by doubling: it holds at
        // most 1.25 times the message.
        if buffer.count + chunk.count > buffer.capacity, buffer.count >= 1 << 20 {
            buffer.reserveCapacity(buffer.count + max(chunk.count, buffer.count / 4))
        }
        buffer.append(contentsOf: chunk)
        process(handle)
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        // A large message grew the buffer: give the memory back once it is served.
        if buffer.capacity > 4 << 20 && buffer.count < 1 << 20 { buffer = Array(buffer) }
    }

    private mutating func process(_ handle: (FrameEvent, MessageFraming) -> Void) {
        while !isBroken {
            if framing == nil {
                skipWhitespace()
                guard start < buffer.count else { return }
                let first = buffer[start]
                framing =
                    (first == UInt8(ascii: "C") || first == UInt8(ascii: "c")) ? .contentLength : .newlineDelimited
            }
            let detected = framing!
            let report: (FrameEvent) -> Void = { event in handle(event, detected) }
            let progressed: Bool
            switch detected {
            case .newlineDelimited: progressed = nextLine(report)
            case .contentLength: progressed = nextContentLengthMessage(report)
            }
            if !progressed { return }
        }
    }

    private mutating func skipWhitespace() {
        while start < buffer.count, [0x20, 0x0A, 0x0D, 0x09].contains(buffer[start]) { start += 1 }
    }

    private func indexOfNewline(from index: Int) -> Int? {
        buffer.withUnsafeBytes { raw -> Int? in
            guard index < raw.count, let base = raw.baseAddress else { return nil }
            guard let found = memchr(base + index, 0x0A, raw.count - index) else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }

    private mutating func nextLine(_ handle: (FrameEvent) -> Void) -> Bool {
        guard let newline = indexOfNewline(from: start) else {
            let pending = buffer.count - start
            if let discarded = discardedLineLength {
                discardedLineLength = discarded + pending
                start = buffer.count
            } else if pending > limit {
                discardedLineLength = pending
                start = buffer.count
            }
            return false
        }
        if let discarded = discardedLineLength {
            discardedLineLength = nil
            let total = discarded + newline - start
            start = newline + 1
            handle(.oversized(bytes: total, limit: limit))
            return true
        }
        var end = newline
        if end > start, buffer[end - 1] == 0x0D { end -= 1 }
        let lineStart = start
        start = newline + 1
        let length = end - lineStart
        if length > limit {
            handle(.oversized(bytes: length, limit: limit))
            return true
        }
        let blank = buffer[lineStart..<end].allSatisfy { $0 == 0x20 || $0 == 0x09 }
        if !blank {
            buffer.withUnsafeBytes { raw in
                handle(.message(UnsafeRawBufferPointer(rebasing: raw[lineStart..<end])))
            }
        }
        return true
    }

    private mutating func nextContentLengthMessage(_ handle: (FrameEvent) -> Void) -> Bool {
        skipWhitespace()
        guard start < buffer.count else { return false }
        guard let headerEnd = findHeaderEnd() else {
            if buffer.count - start > Self.maximumHeaderBytes {
                isBroken = true
                handle(.malformedHeader("no end of headers within \(Self.maximumHeaderBytes) bytes"))
            }
            return false
        }
        let headerText = String(decoding: buffer[start..<headerEnd.headersEnd], as: UTF8.self)
        var contentLength: Int?
        for line in headerText.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            guard let colon = line.firstIndex(of: ":") else {
                isBroken = true
                handle(.malformedHeader("header line without ':': \(line.prefix(80))"))
                return false
            }
            let name = line[..<colon].trimmingCharacters(in: " \t").lowercased()
            if name == "content-length" {
                let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
                guard let length = Int(value), length >= 0 else {
                    isBroken = true
                    handle(.malformedHeader("Content-Length is not a length: \(value.prefix(40))"))
                    return false
                }
                contentLength = length
            }
        }
        guard let length = contentLength else {
            isBroken = true
            handle(.malformedHeader("Content-Length header is missing"))
            return false
        }
        if length > limit {
            isBroken = true
            handle(.oversizedDeclared(bytes: length, limit: limit))
            return false
        }
        guard buffer.count - headerEnd.bodyStart >= length else { return false }
        let bodyStart = headerEnd.bodyStart
        start = bodyStart + length
        buffer.withUnsafeBytes { raw in
            handle(.message(UnsafeRawBufferPointer(rebasing: raw[bodyStart..<(bodyStart + length)])))
        }
        return true
    }

    /// Finds the blank line that ends the headers: "\r\n\r\n" (the standard) or "\n\n" (lenient).
    private func findHeaderEnd() -> (headersEnd: Int, bodyStart: Int)? {
        var index = start
        while let newline = indexOfNewline(from: index) {
            if newline + 1 < buffer.count, buffer[newline + 1] == 0x0A {
                return (newline, newline + 2)
            }
            if newline + 2 < buffer.count, buffer[newline + 1] == 0x0D, buffer[newline + 2] == 0x0A {
                return (newline, newline + 3)
            }
            index = newline + 1
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        var slice = self[...]
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
