"""Message framing: one JSON document per line (default), or LSP Content-Length headers."""

import json


def _nonfinite(token):
    return float(token)


def loads(data):
    """Reads a message; NaN, Infinity and -Infinity are numbers, as the server writes them."""
    return json.loads(data, parse_constant=_nonfinite)


class LineFraming:
    name = "ndjson"

    @staticmethod
    def encode(body: str) -> bytes:
        return body.encode() + b"\n"

    @staticmethod
    def read(stream):
        """Returns the next message body, or None at end of stream."""
        while True:
            line = stream.readline()
            if not line:
                return None
            if line.strip():
                return line


class ContentLengthFraming:
    name = "content-length"

    @staticmethod
    def encode(body: str) -> bytes:
        data = body.encode()
        return b"Content-Length: %d\r\n\r\n" % len(data) + data

    @staticmethod
    def read(stream):
        length = None
        while True:
            line = stream.readline()
            if not line:
                return None
            line = line.strip()
            if not line:
                if length is None:
                    continue
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        body = stream.read(length)
        if len(body) < length:
            return None
        return body


FRAMINGS = {"ndjson": LineFraming, "content-length": ContentLengthFraming}
