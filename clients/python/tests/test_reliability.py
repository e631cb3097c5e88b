"""Acknowledged data survives kill -9; bad input gets an answer and hurts nobody else."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time

import pytest

from runclinic import Client
from runclinic.framing import loads
from conftest import count_points, is_postgresql, query_store, wait_for_socket


def integrity(db):
    if is_postgresql(db):
        return "ok"  # PostgreSQL keeps its own pages consistent; it has no integrity_check
    with sqlite3.connect(db) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]


def steps_stored(db, run_id, key="loss"):
    rows = query_store(
        db, "SELECT step FROM metric_points JOIN metric_keys ON metric_keys.id = key_id WHERE run_id = ? AND name = ?",
        (run_id, key))
    return {row[0] for row in rows}


def test_sigkill_loses_nothing_acknowledged(binary, db):
    client = Client.spawn(db=db, binary=binary)
    run = client.call("run.start", name="killed")["run_id"]
    acknowledged = set()
    for step in range(3000):
        if step % 10 == 0:
            client.call("monitor.log", run=run, step=step, metrics={"loss": 1.0, "acc": 0.5})
            acknowledged.add(step)
        else:
            client.notify("monitor.log", run=run, step=step, metrics={"loss": 1.0, "acc": 0.5})
    client.flush()
    flushed_until = 2999
    time.sleep(0.3)  # longer than the 50 ms commit window: these must be committed now
    for step in range(3000, 20000):
        client.notify("monitor.log", run=run, step=step, metrics={"loss": 1.0, "acc": 0.5})
        if step == 12000:
            client.flush()
            client.process.send_signal(signal.SIGKILL)
            break
    client.process.wait()
    stored = steps_stored(db, run)
    assert acknowledged <= stored
    assert set(range(flushed_until + 1)) <= stored
    assert integrity(db) == "ok"
    # The store opens again and the run resumes where it stopped.
    with Client.spawn(db=db, binary=binary) as again:
        resumed = again.call("run.start", name="killed")
        assert resumed["resumed"] and resumed["last_step"] == max(stored)


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT", "eof", "exit"])
def test_orderly_stops_commit_everything_accepted(binary, db, stop):
    # A long commit window: only the stop itself can have committed the fire-and-forget points.
    client = Client.spawn(db=db, binary=binary, args=["--commit-window-ms", "1000"])
    run = client.call("run.start", name=f"stop-{stop}")["run_id"]
    for step in range(500):
        client.notify("monitor.log", run=run, step=step, metrics={"loss": 0.1})
    client.call("initialize")  # a barrier that commits nothing: the server has read every point
    process = client.process
    if stop == "eof":
        process.stdin.close()
    elif stop == "exit":
        client.notify("exit")
        client.flush()
    else:
        process.send_signal(getattr(signal, stop))
    assert process.wait(10) == 0
    assert count_points(db, run) == 500
    if is_postgresql(db):
        return
    # The write-ahead log is folded into the database file: the .db file alone holds it all.
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    alone = db.with_name("copy.db")
    alone.write_bytes(db.read_bytes())
    assert count_points(alone, run) == 500


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_a_signal_commits_everything_the_trainer_already_sent(binary, db, stop):
    """Points sent before the signal, whether the server has read them or they wait in the pipe,
    are served and committed before the server exits, with no barrier call in between."""
    process = subprocess.Popen([binary, "serve", "--db", str(db), "--commit-window-ms", "1000"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    process.stdin.write(b'{"jsonrpc":"2.0","id":1,"method":"run.start","params":{"name":"signalled"}}\n')
    process.stdin.flush()
    run = loads(process.stdout.readline())["result"]["run_id"]
    lines = b"".join(b'{"jsonrpc":"2.0","method":"monitor.log","params":{"run":%d,"step":%d,"metrics":{"loss":0.5,"acc":0.25}}}\n'
                     % (run, step) for step in range(20_000))
    process.stdin.write(lines)  # returns once all of it is read or waiting in the pipe
    process.stdin.flush()
    process.send_signal(getattr(signal, stop))
    assert process.wait(20) == 0
    assert count_points(db, run) == 40_000


def socket_pair(binary, db, short_tmp, *args):
    path = str(short_tmp / "r.sock")
    process = subprocess.Popen([binary, "serve", "--db", str(db), "--socket", path, *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_socket(path)
    return process, path


def raw_connection(path):
    sock = socket.socket(socket.AF_UNIX)
    sock.connect(path)
    sock.settimeout(10)
    return sock, sock.makefile("rb")


def test_bad_input_is_answered_and_other_clients_keep_working(binary, db, short_tmp):
    process, path = socket_pair(binary, db, short_tmp)
    try:
        good = Client.connect(path)
        run = good.call("run.start", name="steady")["run_id"]
        cases = [
            (b"\x00\xff\xfe garbage \x80\n", -32700),
            (b'{"jsonrpc":"2.0","id":1,"method":"run.start","params":{"name":"\xff\xfe"}}\n', -32700),
            (b"[" * 100000 + b"\n", -32700),
            (b'{"jsonrpc":"2.0","id":2,"method":"run.list","params":' + b'{"a":' * 5000 + b"1" + b"}" * 5001 + b"\n", -32700),
            (b'{"jsonrpc":"2.0","id":3,"method":"run.list"}\n', None),
        ]
        for step, (payload, code) in enumerate(cases):
            bad, reader = raw_connection(path)
            bad.sendall(payload)
            answer = loads(reader.readline())
            if code is None:
                assert "result" in answer
            else:
                assert answer["error"]["code"] == code and answer["id"] is None
            bad.close()
            good.call("monitor.log", run=run, step=step, metrics={"loss": 1.0})
        # A client that vanishes mid-message, and one that cuts a Content-Length body short.
        for payload in [b'{"jsonrpc":"2.0","id":1,"method":"run.li', b"Content-Length: 100\r\n\r\n{\"jsonrpc\""]:
            bad, _ = raw_connection(path)
            bad.sendall(payload)
            bad.close()
        headers, _ = raw_connection(path)
        headers.sendall(b"Content-Length: nope\r\n\r\n")
        reader = headers.makefile("rb")
        length = int(reader.readline().split(b":")[1])
        reader.readline()
        assert loads(reader.read(length))["error"]["code"] == -32700
        headers.close()
        assert good.call("run.get", run=run)["counts"]["points"] == len(cases)
        good.close()
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(10)


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def test_oversized_messages_are_refused_without_exhausting_memory(binary, db, raw_server):
    server = raw_server("--max-message-bytes", "1048576")
    big = b'{"jsonrpc":"2.0","id":1,"method":"run.start","params":{"name":"' + b"x" * (64 << 20) + b'"}}\n'
    server.send(big)
    answer = loads(server.read_line())
    assert answer["error"]["code"] == -32600 and answer["error"]["data"]["limit"] == 1048576
    assert answer["error"]["data"]["bytes"] > 64 << 20
    assert peak_rss_kib(server.process.pid) < 64 * 1024
    # Content-Length framing: a declared length over the limit is answered and ends the connection
    # (the peer may never send that many bytes; skipping what it sends would swallow its next messages).
    for declared in [len(b"[" + b"1," * (8 << 20) + b"1]"), 999999999999]:
        server2 = raw_server("--max-message-bytes", "1048576")
        small = b'{"jsonrpc":"2.0","id":2,"method":"run.list"}'
        server2.send(b"Content-Length: %d\r\n\r\n" % declared + b"[1,1]" + b"Content-Length: %d\r\n\r\n%s" % (len(small), small))
        header = server2.read_line()
        server2.read_line()
        answer = loads(server2.process.stdout.read(int(header.split(b":")[1])))
        assert answer["error"]["code"] == -32600
        assert answer["error"]["data"]["bytes"] == declared and answer["error"]["data"]["limit"] == 1048576
        assert "the connection is closed" in answer["error"]["data"]["reason"]
        assert server2.process.wait(10) is not None and server2.process.stdout.read() == b""


def test_stdout_carries_protocol_messages_only(binary, db):
    process = subprocess.run(
        [binary, "serve", "--db", str(db), "--log-level", "trace"],
        input=b'{"jsonrpc":"2.0","id":1,"method":"run.start","params":{"name":"quiet"}}\n{bad\n',
        capture_output=True, timeout=30,
    )
    lines = process.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert process.stderr  # the logs went to stderr


def test_a_fire_and_forget_logger_never_deadlocks_on_its_own_alerts(binary, db):
    # Every anomaly of a fire-and-forget call comes back as a monitor.alert notification. A client
    # that only writes must still read them while it writes, or both sides block on full pipes.
    import random
    from runclinic import Monitor
    rng = random.Random(2)
    with Monitor("alerts", db=db, binary=binary, wait=False) as mon:
        for step in range(1, 20_001):
            # A loss that is NaN every other step: each is a new alert, thousands of them.
            mon.log(step, {"train/loss": float("nan") if step % 2 else 1.0 / step, "val/recall": 0.5 + rng.gauss(0, 0.01)})
    assert count_points(db, 1) == 40_000
    assert query_store(db, "SELECT COUNT(*) FROM anomalies")[0][0] > 5_000


def test_durability_full_syncs_every_commit_and_says_so(binary, db):
    """`--durability full` (synchronous=FULL) is for stores that must survive a power loss; a bad
    value is refused with the choices."""
    with Client.spawn(db=db, binary=binary, args=["--durability", "full"]) as client:
        assert client.call("initialize")["store"]["durability"] == "full"
        run = client.call("run.start", name="synced")["run_id"]
        for step in range(50):
            client.notify("monitor.log", run=run, step=step, metrics={"loss": 1.0})
        client.call("monitor.log", run=run, step=50, metrics={"loss": 0.5})
        assert count_points(db, run) == 51
    with Client.spawn(db=db, binary=binary) as client:
        assert client.call("initialize")["store"]["durability"] == "normal"
    refused = subprocess.run([binary, "serve", "--db", str(db), "--durability", "paranoid"], input="", capture_output=True, text=True)
    assert refused.returncode == 64 and "normal" in refused.stderr and "full" in refused.stderr


@pytest.mark.sqlite_only("a file-size limit stands for a full disk under the store's own file")
def test_fire_and_forget_points_lost_to_a_full_disk_are_all_reported(binary, db, tmp_path):
    """A file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored) makes the store's writes fail the way a
    full disk does. Every point sent is then either in the store or reported lost to its sender."""
    wrapper = tmp_path / "limited-runclinic"
    wrapper.write_text(f'#!/bin/bash\ntrap "" XFSZ\nulimit -f 1024\nexec "{binary}" "$@"\n')
    wrapper.chmod(0o755)
    client = Client.spawn(db=db, binary=str(wrapper))
    run = client.call("run.start", name="disk-full")["run_id"]
    sent = 0
    for step in range(40_000):
        client.notify("monitor.log", run=run, step=step, metrics={"loss": 1.0 / (step + 1), "acc": step * 1e-5})
        sent += 2
    client.call("initialize")  # a barrier: the server has read every point
    time.sleep(0.5)  # the commit window passes: the last commit has been tried
    client.call("initialize")
    errors = list(client.notification_errors)
    client.close()
    lost_in_commits = sum(error.data["points"] for error in errors if error.data and "points" in error.data)
    refused_calls = [error for error in errors if not (error.data and "points" in error.data)]
    stored = count_points(db, run)
    assert lost_in_commits > 0, errors[:3]
    assert all(error.code == -32005 for error in errors)
    assert "could not be committed and are lost" in next(error.message for error in errors if error.data and "points" in error.data)
    assert stored + lost_in_commits + 2 * len(refused_calls) == sent


def rss_kib(pid, field="VmRSS:"):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field))


def test_a_message_costs_under_ten_times_its_size_and_is_given_back(binary, db, short_tmp):
    """The worst case for a tree of values: an array of one-digit numbers, two bytes each. One such
    message of 8 MiB costs the server less than ten times its size; four at once on four connections
    less than twenty times one; and the memory goes back."""
    path = str(short_tmp / "mem.sock")
    process = subprocess.Popen([binary, "serve", "--db", str(db), "--socket", path],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_socket(path)
        size = 8 << 20
        junk = b"[" + b"1," * ((size - 64) // 2) + b"1]"
        message = b'{"jsonrpc":"2.0","id":1,"method":"run.get","params":{"run":"x","junk":' + junk + b"}}\n"
        with Client.connect(path) as client:
            client.call("run.list")
        before = rss_kib(process.pid)

        answers = []

        def send():
            sock, reader = raw_connection(path)
            # Large messages are parsed one at a time, and a debug build on a loaded machine takes
            # seconds for each: the fourth waits for the other three. A client that gave up early
            # would leave messages still being parsed while the memory is measured.
            sock.settimeout(120)
            sock.sendall(message)
            answer = loads(reader.readline())
            sock.close()
            answers.append(answer)
            return answer

        assert send()["error"]["data"]["field"] == "junk"
        peak = rss_kib(process.pid, "VmHWM:")
        assert (peak - before) * 1024 < 10 * len(message), (before, peak)
        # Four at once: each connection holds its own bytes, but large messages are parsed one at a time.
        threads = [threading.Thread(target=send) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(150)
        assert [answer["error"]["data"]["field"] for answer in answers] == ["junk"] * 5
        peak = rss_kib(process.pid, "VmHWM:")
        assert (peak - before) * 1024 < 20 * len(message), (before, peak)
        # Given back once the last connection's work is done: on a loaded machine that can take
        # longer than a fixed pause, so wait for it (a leak never comes back).
        deadline = time.monotonic() + 10
        while (rss_kib(process.pid) - before) * 1024 >= len(message) and time.monotonic() < deadline:
            time.sleep(0.25)
        assert (rss_kib(process.pid) - before) * 1024 < len(message), (before, rss_kib(process.pid))
    finally:
        process.terminate()
        process.wait(10)
