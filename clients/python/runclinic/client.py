"""A JSON-RPC client for runclinic over a spawned server's stdio or a Unix socket.

Thread-safe. Calls are answered in order on one connection, so a call holds the connection's
lock from sending until its reply is read. Notifications (fire and forget) are buffered and
written in blocks: before any call, when the buffer fills, every `flush_interval` seconds from a
background thread, and on close.
"""

import collections
import itertools
import select
import json
import logging
import os
import socket
import subprocess
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from .errors import RPCError, ServerGone
from .framing import FRAMINGS, loads
from .reader import SpinReader
from ._launcher import _other_on_path, bundled_binary
from .values import to_json

log = logging.getLogger("runclinic")

JSONObject = Dict[str, Any]
RunReference = Union[int, str]
PathLike = Union[str, "os.PathLike[str]"]


def _path(path: Optional[PathLike]) -> Optional[str]:
    return os.fspath(path) if path is not None else None


def _list(values: Optional[Sequence[Any]]) -> Optional[List[Any]]:
    return list(values) if values is not None else None

# NumPy, torch and JAX values in params (a config's learning rate) are written as plain numbers.
_dumps = json.JSONEncoder(separators=(",", ":"), default=to_json).encode


def find_binary(binary: Optional[PathLike] = None) -> str:
    """The server binary: the argument, $RUNCLINIC_BIN, the one the wheel carries, or `runclinic`
    on PATH (a source install's launcher script is skipped: it is not the server)."""
    candidate = binary or os.environ.get("RUNCLINIC_BIN") or bundled_binary() or _other_on_path()
    if not candidate:
        raise FileNotFoundError("runclinic binary not found: pass binary=, set RUNCLINIC_BIN, install the wheel, "
                                "or put the server on PATH")
    return os.fspath(candidate)


# What the server should send this client (see Client.__init__).
CLIENT_CAPABILITIES = {"nonFiniteNumbers": True, "notificationErrors": True}


def _widen_pipe(fd):
    """Makes the pipe to the server 1 MiB (Linux allows it unprivileged) and non-blocking, so that a
    64 KiB block goes in one write instead of sixteen, each waiting for the server to make room."""
    try:
        import fcntl
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (ImportError, OSError):
        pass  # not Linux, or a lower limit: the default pipe works, in smaller writes
    os.set_blocking(fd, False)


class Client:
    """One connection to a runclinic server."""

    buffer_limit = 1 << 16
    flush_interval = 0.05

    def __init__(self, reader, write, *, process=None, sock=None, framing="ndjson", output_fd=None):
        """`write(chunk)` writes some bytes and returns how many; with `output_fd` (the descriptor
        it writes to) it is only called once select() finds room, so it never blocks."""
        self._reader = reader
        self._write = write
        self._output_fd = output_fd
        # A descriptor that never blocks takes as much as fits in one write; one that may block
        # is given at most what select() promises room for.
        self._nonblocking = output_fd is not None and not os.get_blocking(output_fd)
        self._process = process
        self._stderr_tail = None
        self._socket = sock
        self._framing = FRAMINGS[framing]
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._pending = []
        self._pending_bytes = 0
        # Replies read while writing (see _write_draining), handed to the call that waits for them.
        self._inbox = collections.deque()
        self._closed = False
        self._notification_handlers = {}
        self.notifications = []
        self.notification_errors = []
        self._flusher = threading.Thread(target=self._flush_periodically, name="runclinic-flush", daemon=True)
        self._flusher.start()
        # Say what this client reads beyond JSON-RPC 2.0: the NaN and Infinity tokens (Python's json
        # reads them) and $/notificationError for fire-and-forget calls that failed. A notification,
        # so it costs no round trip; the server reads it before anything sent after it.
        self.notify("initialize", capabilities=CLIENT_CAPABILITIES)

    # Construction ---------------------------------------------------------------------------

    @classmethod
    def spawn(cls, db: Optional[PathLike] = None, binary: Optional[PathLike] = None, args: Sequence[str] = (),
              env: Optional[Dict[str, str]] = None, stderr: Any = None, framing: str = "ndjson") -> "Client":
        """Starts `runclinic serve` as a subprocess speaking on its stdin/stdout."""
        command = [find_binary(binary), "serve"]
        if db is not None:
            command += ["--db", os.fspath(db)]
        command += list(args)
        # The server's log goes on to our stderr as before, and its last lines are kept, so that a
        # server that cannot start (or dies) is reported with its own words.
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if stderr is None else stderr, env=env, bufsize=-1
        )
        stdin_fd = process.stdin.fileno()
        _widen_pipe(stdin_fd)
        client = cls(SpinReader.for_pipe(process.stdout), lambda chunk: os.write(stdin_fd, chunk), process=process,
                     framing=framing, output_fd=stdin_fd)
        if stderr is None:
            client._stderr_tail = _StderrTail(process.stderr)
        return client

    @classmethod
    def connect(cls, socket_path: PathLike, framing: str = "ndjson", timeout: float = 10.0) -> "Client":
        """Connects to a server listening with `runclinic serve --socket PATH`."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock.connect(os.fspath(socket_path))
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if time.monotonic() > deadline:
                    sock.close()
                    raise
                time.sleep(0.01)
        return cls(SpinReader.for_socket(sock), lambda chunk: sock.send(chunk, socket.MSG_DONTWAIT), sock=sock,
                   framing=framing, output_fd=sock.fileno())

    # Calls ----------------------------------------------------------------------------------

    def call(self, method: str, params: Any = None, **named: Any) -> Any:
        """Sends a request and returns its result; raises RPCError with the server's error."""
        if params is None:
            params = named
        with self._lock:
            self._check_open()
            request_id = next(self._ids)
            message = {"jsonrpc": "2.0", "id": request_id, "method": method}
            if params is not None:
                message["params"] = params
            self._queue(self._framing.encode(_dumps(message)))
            self._flush_locked()
            while True:
                reply = self._read_message()
                if isinstance(reply, dict) and reply.get("id") == request_id and "method" not in reply:
                    if "error" in reply:
                        error = reply["error"]
                        raise RPCError(error.get("code"), error.get("message"), error.get("data"), method)
                    return reply.get("result")

    def notify(self, method: str, params: Any = None, **named: Any) -> None:
        """Sends a notification (no reply); it is written with the next block."""
        if params is None:
            params = named
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send_raw(self._framing.encode(_dumps(message)))

    def send_raw(self, data: bytes) -> None:
        """Queues an already framed message (the Monitor's fast path)."""
        with self._lock:
            if self._closed:
                self._check_open()
            # _queue, inlined: this runs once per logged step.
            self._pending.append(data)
            self._pending_bytes += len(data)
            if self._pending_bytes >= self.buffer_limit:
                self._flush_locked()
                self._drain_locked()

    def flush(self) -> None:
        """Writes buffered notifications now."""
        with self._lock:
            if not self._closed:
                self._flush_locked()

    # The method families, typed: each returns the server's result as plain data (dicts, lists,
    # numbers), with the params the schema documents (schema/openrpc.json).

    def runs(self, project: Optional[str] = None, status: Optional[str] = None,
             limit: Optional[int] = None) -> List[JSONObject]:
        """The runs of the store, newest first (run.list)."""
        return self._call_given("run.list", project=project, status=status, limit=limit)["runs"]

    def run(self, run: RunReference, project: Optional[str] = None) -> JSONObject:
        """One run with its metric keys, last step and counts (run.get)."""
        return self._call_given("run.get", run=run, project=project)

    def metrics(self, run: RunReference, keys: Optional[Sequence[str]] = None,
                project: Optional[str] = None, **options: Any) -> Dict[str, JSONObject]:
        """A run's series by metric name: {"steps": [...], "values": [...], "times": [...]}
        (run.metrics; options: since_step, until_step, attempts)."""
        return self._call_given("run.metrics", run=run, keys=list(keys) if keys is not None else None,
                                project=project, **options)["series"]

    def analyze(self, run: RunReference, *, data_dir: Optional[PathLike] = None,
                output_dir: Optional[PathLike] = None, formats: Optional[Sequence[str]] = None,
                metrics: Optional[Sequence[str]] = None, project: Optional[str] = None) -> JSONObject:
        """Analyses a run: key finding, primary incident, root causes, anomalies, change points;
        with `output_dir`, the reports written (analyze.run)."""
        return self._call_given("analyze.run", run=run, data_dir=_path(data_dir), output_dir=_path(output_dir),
                                formats=_list(formats), metrics=_list(metrics), project=project)

    def change_points(self, values: Sequence[float], **options: Any) -> JSONObject:
        """Change points of a series (analyze.change_points; options: model, penalty, min_segment,
        steps, penalty_scale, noise, noise_deviation, spikes)."""
        return self._call_given("analyze.change_points", values=list(values), **options)

    def compare(self, runs: Sequence[RunReference], *, metric: Optional[str] = None, mode: Optional[str] = None,
                output_dir: Optional[PathLike] = None, formats: Optional[Sequence[str]] = None,
                project: Optional[str] = None) -> JSONObject:
        """Runs side by side: config differences, best run, stability, significance (compare.runs)."""
        return self._call_given("compare.runs", runs=list(runs), metric=metric, mode=mode,
                                output_dir=_path(output_dir), formats=_list(formats), project=project)

    def hyperparameters(self, project: Optional[str] = None, *, metric: Optional[str] = None,
                        mode: Optional[str] = None, min_runs: Optional[int] = None) -> JSONObject:
        """Which hyperparameters matter across a project's runs (compare.hyperparameters)."""
        return self._call_given("compare.hyperparameters", project=project, metric=metric, mode=mode,
                                min_runs=min_runs)

    def audit(self, path: Optional[PathLike] = None, *, paths: Optional[Sequence[PathLike]] = None,
              **options: Any) -> JSONObject:
        """Audits a folder of images, or a list of `paths` (audit.run; options: recursive,
        thresholds, dataset, limit, checks, report_dir)."""
        if "report_dir" in options:
            options["report_dir"] = _path(options["report_dir"])
        return self._call_given("audit.run", path=_path(path),
                                paths=[os.fspath(p) for p in paths] if paths is not None else None, **options)

    def audit_findings(self, audit_id: int, *, issue: Optional[str] = None, offset: Optional[int] = None,
                       limit: Optional[int] = None) -> JSONObject:
        """A page of an audit's findings (audit.findings)."""
        return self._call_given("audit.findings", audit_id=audit_id, issue=issue, offset=offset, limit=limit)

    def import_run(self, path: PathLike, *, format: Optional[str] = None, project: Optional[str] = None,
                   name: Optional[str] = None) -> JSONObject:
        """Imports runs from another tracker's files: {"runs": [...], "errors": [...]} (import.run)."""
        return self._call_given("import.run", path=_path(path), format=format, project=project, name=name)

    def export_run(self, run: RunReference, *, format: Optional[str] = None, path: Optional[PathLike] = None,
                   project: Optional[str] = None) -> JSONObject:
        """Exports a run as CSV or JSON lines, to `path` or as text in the result (export.run)."""
        return self._call_given("export.run", run=run, format=format, path=_path(path), project=project)

    def _call_given(self, method: str, **params: Any) -> Any:
        """Calls `method` with the params that were given (None means left out)."""
        return self.call(method, {name: value for name, value in params.items() if value is not None})

    def filter_images(self, paths: Sequence[PathLike], **thresholds: Any) -> "tuple[List[str], Dict[str, List[str]]]":
        """The data pipeline's image filter: returns (accepted paths, {rejected path: [reasons]}).
        Thresholds as in audit.filter (min_resolution=100, blur_threshold=100, ...)."""
        params = {"paths": [os.fspath(path) for path in paths]}
        if thresholds:
            params["thresholds"] = thresholds
        result = self.call("audit.filter", params)
        return result["accepted"], {entry["path"]: entry["reasons"] for entry in result["rejected"]}

    def on_notification(self, method: str, handler: Callable[[Any], None]) -> None:
        """Calls handler(params) for each server notification of that method (read during calls)."""
        self._notification_handlers[method] = handler

    def wait_for_notification(self, method: str, timeout: float = 5.0) -> Any:
        """Reads from the connection until a notification of `method` arrives; returns its params.
        Raises TimeoutError when none comes within `timeout` seconds (newline-delimited framing)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._flush_locked()
            while True:
                for index, (name, params) in enumerate(self.notifications):
                    if name == method:
                        del self.notifications[index]
                        return params
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._reader.wait_readable(remaining):
                    raise TimeoutError(f"no {method} notification within {timeout} s")
                self._drain_locked()

    # Lifecycle ------------------------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> None:
        """Flushes, asks the server to shut down, and waits for a spawned server to exit."""
        with self._lock:
            if self._closed:
                return
            try:
                self._flush_locked()
                if self._process is not None:
                    self.call("shutdown")
                    self._queue(self._framing.encode(_dumps({"jsonrpc": "2.0", "method": "exit"})))
                    self._flush_locked()
            except (ServerGone, RPCError, OSError):
                pass
            self._closed = True
        if self._process is not None:
            try:
                self._process.stdin.close()
            except OSError:
                pass
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process.stdout.close()
        if self._socket is not None:
            try:
                self._socket.close()
            except OSError:
                pass

    @property
    def process(self):
        return self._process

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # Internals ------------------------------------------------------------------------------

    def _check_open(self):
        if self._closed:
            raise ServerGone("the client is closed")

    def _queue(self, data):
        self._pending.append(data)
        self._pending_bytes += len(data)

    def _flush_locked(self):
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_bytes = 0
        try:
            self._write_all(data)
        except (BrokenPipeError, ConnectionError, ValueError, OSError) as error:
            raise ServerGone(f"the server is gone: {error}" + self._why_gone()) from error

    def _write_all(self, data):
        """Writes `data` without ever blocking on a full pipe while the server's output waits: the
        server writes alerts for fire-and-forget calls and stops reading us while nobody reads it,
        so whenever it has output, that is read (notifications dispatched, replies kept for their
        call) before writing on, at most a pipe's atomic size at a time."""
        view = memoryview(data)
        if self._output_fd is None:
            while view:
                view = view[self._write(view):]
            return
        drains = self._framing.name == "ndjson"  # only whole lines can be read without blocking
        while view:
            readable, writable, _ = select.select([self._reader._fileno] if drains else [], [self._output_fd], [])
            if readable:
                self._drain_locked()
            if writable:
                try:
                    view = view[self._write(view if self._nonblocking else view[:select.PIPE_BUF]):]
                except (BlockingIOError, InterruptedError):
                    pass

    def _flush_periodically(self):
        while not self._closed:
            time.sleep(self.flush_interval)
            if self._lock.acquire(blocking=False):
                try:
                    if not self._closed:
                        self._flush_locked()
                        self._drain_locked()
                except ServerGone:
                    pass
                finally:
                    self._lock.release()

    def _drain_locked(self):
        """Reads the notifications that have arrived (alerts for fire-and-forget calls), so the
        server never blocks on a full pipe while the client only sends."""
        if self._framing.name != "ndjson":
            return
        while True:
            line = self._reader.poll_line()
            if line is None:
                return
            if line.strip():
                message = loads(line)
                if isinstance(message, dict) and "method" in message and "id" not in message:
                    self._dispatch_notification(message["method"], message.get("params"))
                else:
                    self._inbox.append(message)  # a reply: the call waiting for it reads it from here

    def _why_gone(self):
        """The exit status of a spawned server that ended, and the last thing it said on stderr."""
        if self._process is None:
            return ""
        try:
            code = self._process.wait(1.0)
        except subprocess.TimeoutExpired:
            code = None
        said = self._stderr_tail.text() if self._stderr_tail is not None else ""
        return (f" (exit status {code})" if code is not None else "") + (f": {said}" if said else "")

    def _read_message(self):
        if self._inbox:
            return self._inbox.popleft()
        body = self._framing.read(self._reader)
        if body is None:
            raise ServerGone("the server closed the connection" + self._why_gone())
        message = loads(body)
        if isinstance(message, dict) and "method" in message and "id" not in message:
            self._dispatch_notification(message["method"], message.get("params"))
        return message

    def _dispatch_notification(self, method, params):
        if method == "$/notificationError":
            error = (params or {}).get("error", {})
            self.notification_errors.append(
                RPCError(error.get("code"), error.get("message"), error.get("data"), (params or {}).get("method"))
            )
            log.warning("runclinic: %s failed: %s", (params or {}).get("method"), error.get("message"))
        handler = self._notification_handlers.get(method)
        if handler is not None:
            handler(params)
        else:
            self.notifications.append((method, params))
            del self.notifications[:-1000]


class _StderrTail:
    """Passes a spawned server's stderr through to ours, keeping its last lines."""

    def __init__(self, stream, keep=20):
        self._lines = collections.deque(maxlen=keep)
        self._thread = threading.Thread(target=self._pump, args=(stream,), name="runclinic-stderr", daemon=True)
        self._thread.start()

    def _pump(self, stream):
        import sys

        for line in iter(stream.readline, b""):
            self._lines.append(line.decode("utf-8", "replace").rstrip())
            try:
                sys.stderr.write(line.decode("utf-8", "replace"))
            except (OSError, ValueError):
                pass
        stream.close()

    def text(self):
        """The last lines said, those that name an error first (a usage hint is not the news)."""
        self._thread.join(0.5)
        lines = [line for line in self._lines if line.strip()]
        errors = [line for line in lines if line.lower().startswith("error")]
        return " ".join(errors or lines[-3:])
