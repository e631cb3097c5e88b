"""Fixtures: the real runclinic binary, a fresh SQLite file per test, spawned servers."""

import os
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "clients" / "python"))

from runclinic import Client  # noqa: E402


def binary_path():
    path = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "debug" / "runclinic")
    if not os.path.exists(path):
        pytest.exit(f"runclinic binary not found at {path}: run `swift build` or set RUNCLINIC_BIN", 2)
    return path


@pytest.fixture(scope="session")
def binary():
    return binary_path()


@pytest.fixture
def db(tmp_path):
    return tmp_path / "runs.db"


@pytest.fixture
def client(binary, db):
    with Client.spawn(db=db, binary=binary) as connection:
        yield connection


@pytest.fixture
def short_tmp():
    """A short directory for Unix sockets (their paths are limited to 107 bytes)."""
    directory = tempfile.mkdtemp(prefix="rc-", dir="/tmp")
    yield pathlib.Path(directory)
    shutil.rmtree(directory, ignore_errors=True)


class Server:
    """A `runclinic serve` process driven with raw bytes (for protocol-level tests)."""

    def __init__(self, binary, db, *args):
        self.process = subprocess.Popen(
            [binary, "serve", "--db", str(db), *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0,
        )

    def send(self, data: bytes):
        self.process.stdin.write(data)

    def read_line(self, timeout=10):
        import select
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError("no reply")
        return self._readline()

    def _readline(self):
        line = bytearray()
        while not line.endswith(b"\n"):
            chunk = self.process.stdout.read(1)
            if not chunk:
                break
            line += chunk
        return bytes(line)

    def request(self, data: bytes, timeout=10):
        self.send(data)
        return self.read_line(timeout)

    def close(self):
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
            except OSError:
                pass
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture
def raw_server(binary, db):
    servers = []

    def start(*args):
        server = Server(binary, db, *args)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def wait_for_socket(path, timeout=10):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"socket {path} did not appear")
        time.sleep(0.01)


def count_points(db_path, run_id=None):
    with sqlite3.connect(db_path) as connection:
        if run_id is None:
            return connection.execute("SELECT COUNT(*) FROM metric_points").fetchone()[0]
        return connection.execute("SELECT COUNT(*) FROM metric_points WHERE run_id = ?", (run_id,)).fetchone()[0]
