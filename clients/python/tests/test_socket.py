"""The Unix socket transport: permissions, stale and live sockets, many clients, two servers."""

import os
import socket
import stat
import subprocess
import threading

import pytest

from runclinic import Client, RPCError
from conftest import count_points, wait_for_socket


@pytest.fixture
def socket_server(binary, db, short_tmp):
    processes = []

    def start(*extra, path=None, database=None):
        path = path or str(short_tmp / "rc.sock")
        process = subprocess.Popen(
            [binary, "serve", "--db", str(database or db), "--socket", path, *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        processes.append(process)
        wait_for_socket(path)
        return process, path

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


def test_socket_file_is_private_and_removed_on_stop(socket_server):
    process, path = socket_server()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with Client.connect(path) as client:
        assert client.call("initialize")["serverInfo"]["name"] == "runclinic"
    process.terminate()
    assert process.wait(10) == 0
    assert not os.path.exists(path)


def test_the_socket_file_appears_only_once_it_accepts(binary, db, short_tmp):
    # Scripts wait for the file, then connect: the file must never exist before the server listens.
    path = str(short_tmp / "early.sock")
    for _ in range(20):
        process = subprocess.Popen(
            [binary, "serve", "--db", str(db), "--socket", path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            while not os.path.exists(path):
                assert process.poll() is None, process.stderr.read()
            connection = socket.socket(socket.AF_UNIX)
            connection.connect(path)
            connection.close()
            assert not [name for name in os.listdir(short_tmp) if name.startswith(".runclinic-")]
        finally:
            process.terminate()
            process.wait(10)
        assert not os.path.exists(path)


def test_a_stopping_server_removes_only_its_own_socket(socket_server, short_tmp):
    """What was put at the socket path since the server started (a file, another server's socket)
    is not the server's to delete."""
    process, path = socket_server()
    os.unlink(path)
    with open(path, "w") as handle:
        handle.write("somebody else's")
    process.terminate()
    assert process.wait(10) == 0
    assert open(path).read() == "somebody else's"
    os.unlink(path)
    first, path = socket_server(path=str(short_tmp / "second.sock"))
    os.unlink(path)  # the path handed over to a newer server
    second, _ = socket_server(path=path)
    first.terminate()
    assert first.wait(10) == 0
    with Client.connect(path) as client:  # the newer server's socket is still there
        client.call("run.list")


def test_stale_socket_is_replaced_and_live_one_refused(binary, db, short_tmp, socket_server):
    path = str(short_tmp / "stale.sock")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(path)
    stale.close()  # a socket file nobody listens on, as a killed server leaves it
    process, _ = socket_server(path=path)
    with Client.connect(path) as client:
        client.call("run.list")
    second = subprocess.run([binary, "serve", "--db", str(db), "--socket", path], capture_output=True, text=True, timeout=10)
    assert second.returncode != 0
    assert "already listening" in second.stderr
    assert process.poll() is None
    regular = short_tmp / "file"
    regular.write_text("x")
    third = subprocess.run([binary, "serve", "--db", str(db), "--socket", str(regular)], capture_output=True, text=True, timeout=10)
    assert third.returncode != 0 and "not a socket" in third.stderr and regular.read_text() == "x"


def test_stdio_and_socket_at_once(binary, db, short_tmp):
    path = str(short_tmp / "both.sock")
    with Client.spawn(db=db, binary=binary, args=["--stdio", "--socket", path]) as trainer:
        run = trainer.call("run.start", name="live")["run_id"]
        trainer.call("monitor.log", run=run, step=1, metrics={"loss": 0.5})
        wait_for_socket(path)
        with Client.connect(path, framing="content-length") as editor:
            assert editor.call("run.get", run="live")["counts"]["points"] == 1
            editor.call("monitor.log", run=run, step=2, metrics={"loss": 0.4})
        assert trainer.call("run.metrics", run=run)["series"]["loss"]["steps"] == [1, 2]
    assert not os.path.exists(path)


def test_eight_socket_clients_and_a_second_server_lose_nothing(binary, db, short_tmp, socket_server):
    _, path = socket_server()
    steps = 400
    errors = []

    def socket_writer(index):
        try:
            with Client.connect(path) as client:
                run = client.call("run.start", name=f"sock-{index}")["run_id"]
                for step in range(steps):
                    if step % 4 == 0:
                        client.call("monitor.log", run=run, step=step, metrics={"loss": 1.0 / (step + 1), "acc": step / steps})
                    else:
                        client.notify("monitor.log", run=run, step=step, metrics={"loss": 1.0 / (step + 1), "acc": step / steps})
                client.call("run.finish", run=run)
                errors.extend(client.notification_errors)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    def stdio_writer():
        try:
            with Client.spawn(db=db, binary=binary) as client:
                run = client.call("run.start", name="stdio")["run_id"]
                for step in range(steps):
                    client.notify("monitor.log", run=run, step=step, metrics={"loss": 1.0, "acc": 0.0})
                client.call("run.finish", run=run)
                errors.extend(client.notification_errors)
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=socket_writer, args=(i,)) for i in range(8)]
    threads.append(threading.Thread(target=stdio_writer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert count_points(db) == 9 * steps * 2
    with Client.connect(path) as client:
        runs = client.call("run.list")["runs"]
        assert len(runs) == 9 and all(run["status"] == "finished" for run in runs)


def test_shell_client_over_socket_without_socat(binary, socket_server, tmp_path):
    _, path = socket_server()
    script = os.path.join(os.path.dirname(__file__), "..", "..", "shell", "runclinic-rpc")
    # A PATH with only the basics: no socat, no nc, so the client falls back to `runclinic call`.
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ["bash", "sed", "head", "cat", "env"]:
        found = subprocess.run(["bash", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
        os.symlink(found, bare / tool)
    env = {"PATH": str(bare), "RUNCLINIC_BIN": binary}
    started = subprocess.run([script, "--socket", path, "run.start", '{"name":"sh"}'], capture_output=True, text=True, env=env, timeout=30)
    assert started.returncode == 0, started.stderr
    assert '"name":"sh"' in started.stdout
    failed = subprocess.run([script, "--socket", path, "run.get", '{"run":"nope"}'], capture_output=True, text=True, env=env, timeout=30)
    assert failed.returncode == 1 and '"code":-32001' in failed.stderr


def server_threads(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Threads:"))


def test_idle_clients_hold_no_thread_and_past_the_cap_a_client_is_told_why(socket_server):
    import json
    import socket as sockets
    import time

    process, path = socket_server("--max-connections", "300")
    idle = []
    for _ in range(300):
        connection = sockets.socket(sockets.AF_UNIX)
        connection.connect(path)
        idle.append(connection)
    baseline_deadline = time.monotonic() + 10
    # Served at first, parked once they have been silent for a second.
    while server_threads(process.pid) > 40 and time.monotonic() < baseline_deadline:
        time.sleep(0.1)
    assert server_threads(process.pid) <= 40
    # One more is refused with a JSON-RPC error that says why, then closed.
    extra = sockets.socket(sockets.AF_UNIX)
    extra.connect(path)
    extra.settimeout(10)
    refusal = json.loads(extra.makefile("rb").readline())
    assert refusal["error"]["code"] == -32000 and "300 clients are connected" in refusal["error"]["message"]
    assert refusal["error"]["data"] == {"limit": 300} and extra.recv(1) == b""
    # A parked client is served as soon as it speaks.
    idle[7].settimeout(10)
    idle[7].sendall(b'{"jsonrpc":"2.0","id":1,"method":"run.list"}\n')
    assert json.loads(idle[7].makefile("rb").readline())["id"] == 1
    # A client that leaves frees its place.
    idle.pop().close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with Client.connect(path) as client:
            try:
                assert client.call("run.list")["runs"] == []
                break
            except Exception:
                time.sleep(0.1)
    else:
        pytest.fail("no place freed")
    for connection in idle:
        connection.close()
