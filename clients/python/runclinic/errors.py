"""Errors the client raises."""


class RPCError(Exception):
    """A JSON-RPC error answered by the server: code, message and data, as sent."""

    def __init__(self, code, message, data=None, method=None):
        super().__init__(f"{message} (code {code})" + (f" in {method}" if method else ""))
        self.code = code
        self.message = message
        self.data = data
        self.method = method


class ServerGone(ConnectionError):
    """The server closed the connection or exited."""
