"""Buffered reading of the server's replies that polls briefly before sleeping.

Waking a process blocked in read() costs tens of microseconds on virtual machines (an
inter-processor interrupt), as much as the server takes to answer. A synchronous call expects
its reply within microseconds, so the reader polls for a short while before blocking in select().
"""

import os
import select
import socket
import time


class SpinReader:
    spin_seconds = 0.0002

    def __init__(self, fileno, receive):
        self._fileno = fileno
        self._receive = receive
        self._buffer = bytearray()

    @classmethod
    def for_pipe(cls, pipe):
        fd = pipe.fileno()
        os.set_blocking(fd, False)

        def receive():
            return os.read(fd, 1 << 16)

        return cls(fd, receive)

    @classmethod
    def for_socket(cls, sock):
        def receive():
            return sock.recv(1 << 16, socket.MSG_DONTWAIT)

        return cls(sock.fileno(), receive)

    def _fill(self):
        """Reads more bytes into the buffer; False at end of stream."""
        deadline = None
        while True:
            try:
                data = self._receive()
            except (BlockingIOError, InterruptedError):
                data = None
            if data is not None:
                if not data:
                    return False
                self._buffer += data
                return True
            now = time.perf_counter()
            if deadline is None:
                deadline = now + self.spin_seconds
            elif now > deadline:
                select.select([self._fileno], [], [])

    def wait_readable(self, timeout):
        """True when bytes are buffered or arrive within `timeout` seconds."""
        if self._buffer:
            return True
        ready, _, _ = select.select([self._fileno], [], [], max(0.0, timeout))
        return bool(ready)

    def poll_line(self):
        """A complete line if one has arrived, else None; never blocks."""
        index = self._buffer.find(b"\n")
        if index < 0:
            try:
                data = self._receive()
            except (BlockingIOError, InterruptedError):
                return None
            if not data:
                return None
            self._buffer += data
            index = self._buffer.find(b"\n")
            if index < 0:
                return None
        line = bytes(self._buffer[: index + 1])
        del self._buffer[: index + 1]
        return line

    def readline(self):
        start = 0
        while True:
            index = self._buffer.find(b"\n", start)
            if index >= 0:
                line = bytes(self._buffer[: index + 1])
                del self._buffer[: index + 1]
                return line
            start = len(self._buffer)
            if not self._fill():
                line = bytes(self._buffer)
                self._buffer.clear()
                return line

    def read(self, count):
        while len(self._buffer) < count:
            if not self._fill():
                break
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data
