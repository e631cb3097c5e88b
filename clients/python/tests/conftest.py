"""Fixtures: the real runclinic binary, a fresh store per test, spawned servers.

The store is a SQLite file, or, with RUNCLINIC_TEST_STORE=postgresql, a fresh database in a
throw-away PostgreSQL cluster that lives as long as the session (`make test` runs the suite both
ways). Tests of what only a SQLite file has (its WAL, its file on disk) are marked `sqlite_only`."""

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
from postgresql_cluster import ThrowawayCluster  # noqa: E402

STORE = os.environ.get("RUNCLINIC_TEST_STORE", "sqlite")


class StoreURL(str):
    """A PostgreSQL store's connection string, which knows its cluster and database (for queries)."""

    def __new__(cls, cluster, database):
        url = super().__new__(cls, cluster.url(database))
        url.cluster = cluster
        url.database = database
        return url


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: tests what only a SQLite store file has")


def pytest_collection_modifyitems(config, items):
    if STORE != "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason="SQLite store only: " + (marker.args[0] if marker.args else "")))


def binary_path():
    path = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "debug" / "runclinic")
    if not os.path.exists(path):
        pytest.exit(f"runclinic binary not found at {path}: run `swift build` or set RUNCLINIC_BIN", 2)
    return path


@pytest.fixture(scope="session")
def binary():
    return binary_path()


@pytest.fixture(scope="session")
def postgresql_cluster():
    cluster = ThrowawayCluster().start()
    yield cluster
    cluster.stop()


def new_store(tmp_path, name="runs.db", request=None):
    """A fresh store of the session's kind: a file path, or a new database's connection string."""
    if STORE == "postgresql":
        cluster = request.getfixturevalue("postgresql_cluster")
        return StoreURL(cluster, cluster.create_database())
    return tmp_path / name


@pytest.fixture
def db(tmp_path, request):
    return new_store(tmp_path, request=request)


@pytest.fixture
def store_factory(tmp_path, request):
    """Makes more fresh stores of the session's kind (for tests that need two)."""
    return lambda name: new_store(tmp_path, name, request)


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


def query_store(store, sql, params=()):
    """Rows of a query on the store's database (SQLite or PostgreSQL), read behind the server's
    back. `?` placeholders; values of PostgreSQL rows come back as text, typed back by the caller."""
    if isinstance(store, StoreURL):
        for value in params:
            literal = "NULL" if value is None else (str(value) if isinstance(value, (int, float)) else
                                                     "'" + str(value).replace("'", "''") + "'")
            sql = sql.replace("?", literal, 1)
        return [tuple(typed(cell) for cell in row) for row in store.cluster.psql(sql, database=store.database)]
    with sqlite3.connect(store) as connection:
        return connection.execute(sql, params).fetchall()


def typed(text):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def store_bytes(store):
    """Everything the store holds, as bytes (for "the password is nowhere in it")."""
    if isinstance(store, StoreURL):
        return store.cluster.dump(store.database)
    wal = pathlib.Path(str(store) + "-wal")
    return pathlib.Path(store).read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def is_postgresql(store):
    return isinstance(store, StoreURL)


def count_points(store, run_id=None):
    if run_id is None:
        return int(query_store(store, "SELECT COUNT(*) FROM metric_points")[0][0])
    return int(query_store(store, "SELECT COUNT(*) FROM metric_points WHERE run_id = ?", (run_id,))[0][0])
