"""An audit never hangs and never reports findings it could not make: FIFOs and devices are not
opened, a stuck decoder is killed at its deadline, a cancel stops an audit at once, workers end
with their server, a missing folder and a missing image library are errors."""

import json
import os
import shutil
import signal
import subprocess
import time

import pytest

from runclinic import Client, RPCError
from images import FIXTURES


def folder_with_a_fifo(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    shutil.copy(FIXTURES / "photo.jpg", folder / "photo.jpg")
    os.mkfifo(folder / "pipe.jpg")
    return folder


def test_a_fifo_is_listed_not_opened_and_the_server_keeps_serving(client, tmp_path):
    folder = folder_with_a_fifo(tmp_path)
    started = time.monotonic()
    result = client.call("audit.run", path=str(folder))
    assert time.monotonic() - started < 10
    assert result["images"] == 1
    assert result["not_regular_files"] == [{"path": str(folder / "pipe.jpg"), "kind": "FIFO"}]
    filtered = client.call("audit.filter", paths=[str(folder / "pipe.jpg"), str(folder / "photo.jpg")])
    assert filtered["accepted"] == [str(folder / "photo.jpg")]
    [rejected] = filtered["rejected"]
    assert rejected["reasons"][0]["issue"] == "unreadable" and "FIFO" in rejected["reasons"][0]["detail"]


def test_a_name_that_is_not_utf8_is_listed_not_reported_missing(binary, client, tmp_path):
    # A Latin-1 name from an old archive: no result can name it, so it is listed, not audited, and
    # never reported as a missing file (its copy, photo.jpg, has no duplicate in the audit).
    folder = tmp_path / "images"
    folder.mkdir()
    shutil.copy(FIXTURES / "photo.jpg", folder / "photo.jpg")
    with open(os.path.join(os.fsencode(folder), "caf\xe9.jpg".encode("latin-1")), "wb") as latin1:
        latin1.write((FIXTURES / "photo.jpg").read_bytes())
    result = client.call("audit.run", path=str(folder))
    assert result["images"] == 1 and result["undecodable_names"] == [f"{folder}/caf\\xE9.jpg"]
    assert result["findings"] == [], result["findings"]
    done = subprocess.run([binary, "audit", str(folder), "--db", str(tmp_path / "cli.db")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert f"not audited: {folder}/caf\\xE9.jpg has a name that is not UTF-8" in done.stdout, done.stdout


def test_a_missing_folder_is_an_error_not_a_clean_audit(binary, client, tmp_path):
    with pytest.raises(RPCError) as raised:
        client.call("audit.run", path=str(tmp_path / "no-such-dir"))
    assert raised.value.code == -32602 and raised.value.data["field"] == "path"
    assert "no-such-dir" in raised.value.message
    done = subprocess.run([binary, "audit", str(tmp_path / "no-such-dir"), "--db", str(tmp_path / "cli.db")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "no such file or folder" in done.stderr and done.stdout == ""


def spawn(binary, db, **environment):
    return Client.spawn(db=db, binary=binary, env=dict(os.environ, **environment))


def workers_of(pid):
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    command = handle.read()
            except OSError:
                continue
            if int(fields[1]) == pid and b"inspect-worker" in command:
                children.append(int(entry))
    return children


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_stuck_decoder_is_killed_at_its_deadline_and_the_file_reported(binary, db, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    shutil.copy(FIXTURES / "photo.jpg", folder / "a_photo.jpg")
    shutil.copy(FIXTURES / "receipt.jpg", folder / "b_hang.jpg")
    with spawn(binary, db, RUNCLINIC_TEST_HANG_ON="hang", RUNCLINIC_DECODE_DEADLINE="1") as client:
        started = time.monotonic()
        result = client.call("audit.run", path=str(folder))
        assert time.monotonic() - started < 8
        findings = {(f["path"], f["issue"]): f for f in result["findings"]}
        stuck = findings[(str(folder / "b_hang.jpg"), "unreadable")]
        assert "did not finish within 1 s" in stuck["detail"]
        # The server and its other workers go on.
        assert client.call("audit.filter", paths=[str(folder / "a_photo.jpg")])["accepted"] == [str(folder / "a_photo.jpg")]


def stuck_audit(binary, db, tmp_path, request_id):
    """A server auditing a folder whose one image its decoder hangs on (for good: no deadline soon)."""
    folder = tmp_path / "images"
    folder.mkdir()
    shutil.copy(FIXTURES / "receipt.jpg", folder / "hang.jpg")
    environment = dict(os.environ, RUNCLINIC_TEST_HANG_ON="hang", RUNCLINIC_DECODE_DEADLINE="600")
    server = subprocess.Popen([binary, "serve", "--db", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment)
    request = {"jsonrpc": "2.0", "id": request_id, "method": "audit.run", "params": {"path": str(folder)}}
    server.stdin.write((json.dumps(request) + "\n").encode())
    server.stdin.flush()
    return server


def test_cancel_stops_an_audit_held_by_a_stuck_decoder_within_a_second(binary, db, tmp_path):
    server = stuck_audit(binary, db, tmp_path, 7)
    try:
        time.sleep(1.0)  # the worker is stuck by now
        cancelled_at = time.monotonic()
        server.stdin.write(b'{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}\n')
        server.stdin.flush()
        reply = json.loads(server.stdout.readline())
        assert reply["id"] == 7 and reply["error"]["code"] == -32800
        assert time.monotonic() - cancelled_at < 1.5
        # A later call on the same server is served.
        server.stdin.write(b'{"jsonrpc":"2.0","id":8,"method":"audit.filter","params":{"paths":["' + str(FIXTURES / "photo.jpg").encode() + b'"]}}\n')
        server.stdin.flush()
        assert json.loads(server.stdout.readline())["result"]["accepted"] == [str(FIXTURES / "photo.jpg")]
    finally:
        server.stdin.close()
        server.wait(20)


def test_workers_end_with_their_server_and_obey_sigterm(binary, db, tmp_path):
    server = stuck_audit(binary, db, tmp_path, 1)
    deadline = time.monotonic() + 30
    while not (workers := workers_of(server.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert workers, "no inspect-worker started"
    # A worker takes SIGTERM like any process (the server's blocked signals are not inherited).
    os.kill(workers[0], signal.SIGTERM)
    deadline = time.monotonic() + 15
    while alive(workers[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(workers[0])
    # The audit goes on with a new worker; then the server is killed outright.
    deadline = time.monotonic() + 30
    while not (others := [w for w in workers_of(server.pid) if w != workers[0]]) and time.monotonic() < deadline:
        time.sleep(0.1)
    server.kill()
    server.wait()
    deadline = time.monotonic() + 15
    while any(alive(worker) for worker in others) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(worker) for worker in others), "a worker outlived its server"


def test_a_missing_image_library_is_one_clear_error_never_findings(binary, tmp_path):
    lonely = tmp_path / "bin"
    lonely.mkdir()
    shutil.copy(binary, lonely / "runclinic")  # without libRunclinicImageInspection.so beside it
    folder = tmp_path / "images"
    folder.mkdir()
    shutil.copy(FIXTURES / "photo.jpg", folder / "photo.jpg")
    environment = {key: value for key, value in os.environ.items() if key != "RUNCLINIC_IMAGE_LIBRARY"}
    done = subprocess.run([str(lonely / "runclinic"), "audit", str(folder), "--db", str(tmp_path / "a.db")],
                          capture_output=True, text=True, timeout=60, env=environment)
    assert done.returncode == 1 and "image library cannot be loaded" in done.stderr and "unreadable" not in done.stdout
    with Client.spawn(db=tmp_path / "b.db", binary=str(lonely / "runclinic"), env=environment) as client:
        with pytest.raises(RPCError) as raised:
            client.call("audit.run", path=str(folder))
        assert raised.value.code == -32007 and "libopencv" in raised.value.message
        # An analysis goes on without the images and says why, instead of calling them unreadable.
        run = client.call("run.start", name="no-library")["run_id"]
        for step in range(1, 41):
            client.call("monitor.batch", run=run, step=step * 10, batch=0, metrics={"val/acc": 0.9}, samples=["photo.jpg"])
            client.call("monitor.log", run=run, step=step * 10, metrics={"val/acc": 0.9, "train/loss": 1 / step})
        result = client.call("analyze.run", run=run, data_dir=str(folder))
        insights = result["summary"]["data_insights"]
        assert "image library cannot be loaded" in insights["audit_unavailable"]
        assert insights["defects"] == {} and insights["audited_images"] == 0


def test_a_thumbnail_the_decoder_hangs_on_is_given_up_at_the_deadline(binary, db, tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    shutil.copy(FIXTURES / "photo_blurred.jpg", folder / "a_blurred.jpg")
    shutil.copy(FIXTURES / "photo_soft_clouds_defocused.jpg", folder / "b_blurred_hang.jpg")
    with spawn(binary, db, RUNCLINIC_TEST_HANG_THUMBNAIL_ON="hang", RUNCLINIC_DECODE_DEADLINE="1") as client:
        started = time.monotonic()
        result = client.call("audit.run", path=str(folder), report_dir=str(tmp_path / "gallery"))
        assert time.monotonic() - started < 10
        page = open(result["report"]).read()
        # The stuck one keeps its stored grey thumbnail; the other is shown in colour.
        assert f'<img alt="thumbnail of {folder / "b_blurred_hang.jpg"}" src="data:image/bmp;base64,' in page
        assert f'<img alt="thumbnail of {folder / "a_blurred.jpg"}" src="data:image/jpeg;base64,' in page
        assert client.call("audit.filter", paths=[str(folder / "a_blurred.jpg")])["rejected"]
