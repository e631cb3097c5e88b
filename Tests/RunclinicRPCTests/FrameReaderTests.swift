import Testing

@testable import RunclinicRPC

/// Feeds bytes in the given chunks and collects what the reader reports.
private func frames(_ chunks: [String], limit: Int = 1 << 20) -> (events: [String], framing: MessageFraming?) {
    var reader = FrameReader(limit: limit)
    var events: [String] = []
    for chunk in chunks {
        let bytes = Array(chunk.utf8)
        bytes.withUnsafeBytes { raw in
            reader.consume(raw) { event, _ in
                switch event {
                case .message(let body): events.append(String(decoding: body, as: UTF8.self))
                case .oversized(let bytes, _): events.append("oversized \(bytes)")
                case .oversizedDeclared(let bytes, _): events.append("declared \(bytes)")
                case .malformedHeader: events.append("malformed")
                }
            }
        }
    }
    return (events, reader.framing)
}

@Suite struct FrameReaderTests {
    @Test func linesSplitAcrossChunks() {
        let result = frames(["{\"a\":", "1}\n{\"b\"", ":2}\r\n\n  \n{\"c\":3}\n"])
        #expect(result.events == ["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"])
        #expect(result.framing == .newlineDelimited)
    }

    @Test func contentLengthSplitAcrossChunks() {
        let result = frames([
            "Content-Len", "gth: 7\r\nContent-Type: x\r\n\r\n{\"a\"", ":1}Content-Length: 2\r\n\r\n[]",
        ])
        #expect(result.events == ["{\"a\":1}", "[]"])
        #expect(result.framing == .contentLength)
    }

    @Test func oversizedLineIsSkippedToTheNextNewline() {
        let long = String(repeating: "x", count: 100)
        let result = frames([long, long, "\n{\"ok\":1}\n"], limit: 50)
        #expect(result.events == ["oversized 200", "{\"ok\":1}"])
    }

    @Test func anOversizedContentLengthEndsTheStream() {
        let body = String(repeating: "y", count: 80)
        let result = frames(
            [
                "Content-Length: 80\r\n\r\n", String(body.prefix(30)),
                String(body.dropFirst(30)) + "Content-Length: 2\r\n\r\n{}",
            ], limit: 50)
        #expect(result.events == ["declared 80"])
        #expect(
            frames(["Content-Length: 999999999999\r\n\r\n{}Content-Length: 2\r\n\r\n{}"]).events == [
                "declared 999999999999"
            ])
    }

    @Test func unreadableHeadersBreakTheStream() {
        #expect(frames(["Content-Length: ten\r\n\r\n{}"]).events == ["malformed"])
        #expect(frames(["Content-Type: x\r\n\r\n{}"]).events == ["malformed"])
        #expect(frames(["Content-Length 5\r\n\r\n{}"]).events == ["malformed"])
    }
}
