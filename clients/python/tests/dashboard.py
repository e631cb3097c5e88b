"""Helpers for the dashboard tests: a `runclinic ui` process, and JSON-RPC over its WebSocket."""

import itertools
import pathlib
import json
import subprocess
import tempfile
import time
import urllib.parse

from websockets.sync.client import connect


class Dashboard:
    """`runclinic ui` on a free port; `url` is the first line it printed (with its token)."""

    def __init__(self, binary, db, *args, env=None):
        self.log_path = pathlib.Path(tempfile.mkstemp(prefix="rc-ui-", suffix=".log")[1])
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [binary, "ui", "--db", str(db), "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=self.log_file, text=True, env=env)
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), (self.url, self.log())
        parsed = urllib.parse.urlparse(self.url)
        self.base = f"{parsed.scheme}://{parsed.netloc}"
        self.origin = self.base
        self.token = urllib.parse.parse_qs(parsed.query)["token"][0]
        self.ws_url = f"ws://{parsed.netloc}/rpc?token={self.token}"

    def log(self):
        """What the server wrote on stderr so far."""
        return self.log_path.read_text()

    def socket(self, **options):
        return RpcSocket(connect(self.ws_url, origin=self.origin, max_size=None, **options).__enter__())

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log_file.close()
        self.log_path.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RpcSocket:
    """JSON-RPC over one WebSocket: replies by id, notifications kept in arrival order."""

    def __init__(self, socket):
        self.socket = socket
        self.ids = itertools.count(1)
        self.notifications = []

    def send_text(self, text):
        self.socket.send(text)

    def receive(self, timeout=10):
        message = json.loads(self.socket.recv(timeout=timeout))
        return message

    def call(self, method, timeout=10, **params):
        request_id = next(self.ids)
        self.socket.send(json.dumps({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = self.receive(timeout=max(0.01, deadline - time.monotonic()))
            if isinstance(message, dict) and message.get("id") == request_id:
                return message
            self.notifications.append(message)

    def result(self, method, **params):
        reply = self.call(method, **params)
        assert "result" in reply, reply
        return reply["result"]

    def wait_for(self, predicate, timeout=5):
        """The first notification (kept or arriving) that satisfies `predicate`, and when it came."""
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self.notifications):
                if predicate(message):
                    del self.notifications[index]
                    return message, time.monotonic()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching notification within {timeout} s; saw {[m.get('method') for m in self.notifications]}")
            try:
                self.notifications.append(self.receive(timeout=remaining))
            except TimeoutError:
                pass

    def close(self):
        self.socket.close()
