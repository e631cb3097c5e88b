"""`runclinic ui`: the same JSON-RPC API over a WebSocket, behind a token, and store.watch's live
notifications of what other processes log to the same store."""

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from dashboard import Dashboard
from runclinic import Client


@pytest.fixture
def dashboard(binary, db):
    with Dashboard(binary, db) as running:
        yield running


def fetch(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_every_request_needs_the_token_the_ui_printed(dashboard):
    # Without the token: refused, saying where to find it.
    status, _, body = fetch(dashboard.base + "/")
    assert status == 403 and b"token" in body
    assert fetch(dashboard.base + "/assets/chart.min.js")[0] == 403
    assert fetch(dashboard.base + "/?token=" + "0" * 64)[0] == 403
    # With it: the page, and a cookie that lets the page's own requests in.
    status, headers, body = fetch(dashboard.url)
    assert status == 200 and b"/assets/dashboard.js" in body
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    status, headers, body = fetch(dashboard.base + "/assets/chart.min.js", {"Cookie": cookie.split(";")[0]})
    assert status == 200 and b"Chart.js v3.9.1" in body[:200] and headers["Content-Type"].startswith("text/javascript")
    # An Authorization header works for scripts.
    assert fetch(dashboard.base + "/assets/dashboard.css", {"Authorization": "token " + dashboard.token})[0] == 200
    assert fetch(dashboard.base + "/assets/nothing.js", {"Authorization": "token " + dashboard.token})[0] == 404


def test_the_websocket_refuses_a_missing_token_and_pages_of_other_origins(dashboard):
    # The handshake is refused (HTTP 400: the WebSocket library's answer to a refused upgrade),
    # and the server's log says why.
    plain = dashboard.ws_url.split("?")[0]
    with pytest.raises(InvalidStatus) as refused:
        connect(plain, origin=dashboard.origin)
    assert refused.value.response.status_code == 400
    assert "missing or wrong token" in dashboard.log()
    # A page on another site, in the user's own browser, must not reach the runs.
    for origin in ["http://evil.example", "http://127.0.0.1:1", "null"]:
        with pytest.raises(InvalidStatus) as refused:
            connect(dashboard.ws_url, origin=origin)
        assert refused.value.response.status_code == 400
        assert f"WebSocket refused: Origin {origin} is not this dashboard's page" in dashboard.log()
    # Asked without the upgrade, /rpc says what is wrong.
    status, _, body = fetch(dashboard.base + "/rpc", {"Authorization": "token " + dashboard.token, "Origin": "http://evil.example"})
    assert status == 403 and b"Origin http://evil.example" in body
    # The dashboard's own origin, by name or number, is let in.
    port = dashboard.base.rsplit(":", 1)[1]
    for origin in [dashboard.origin, f"http://localhost:{port}"]:
        with connect(dashboard.ws_url, origin=origin) as socket:
            socket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "run.list"}))
            assert json.loads(socket.recv(timeout=10))["result"] == {"runs": []}


def test_the_websocket_speaks_the_same_json_rpc_as_the_socket(binary, db, dashboard):
    with Client.spawn(db=db, binary=binary) as client:
        client.call("run.start", name="over-the-socket", config={"lr": 0.1})
        listed = client.call("run.list")
    socket = dashboard.socket()
    try:
        assert socket.result("run.list") == listed
        # Errors are the API's own: an unknown method with the near names, params named.
        reply = socket.call("run.lst")
        assert reply["error"]["code"] == -32601 and "run.list" in reply["error"]["message"]
        reply = socket.call("run.get", run=[1])
        assert reply["error"]["code"] == -32602 and reply["error"]["data"]["field"] == "run"
        # A frame that is not JSON gets a parse error, and the connection keeps serving.
        socket.send_text('{"jsonrpc": "2.0", "id": 7, "method": ')
        assert socket.receive()["error"]["code"] == -32700
        # A frame may hold a batch, and newlines.
        socket.send_text('[{"jsonrpc": "2.0", "id": 8,\n "method": "run.get", "params": {"run": 1}},\n'
                         ' {"jsonrpc": "2.0", "id": 9, "method": "rpc.discover"}]')
        replies = socket.receive()
        assert [r["id"] for r in replies] == [8, 9]
        assert replies[0]["result"]["name"] == "over-the-socket"
        assert any(m["name"] == "store.watch" for m in replies[1]["result"]["methods"])
        # Non-finite numbers reach a browser as strings JSON.parse can read.
        run = socket.result("run.start", name="nan")["run_id"]
        socket.result("monitor.log", run=run, step=1, metrics={"loss": math.inf})
        assert socket.result("run.metrics", run=run)["series"]["loss"]["values"] == ["Infinity"]
    finally:
        socket.close()


def test_a_watch_sends_what_another_process_logs_within_a_second(binary, db, dashboard):
    with Client.spawn(db=db, binary=binary) as trainer:
        run = trainer.call("run.start", name="live", project="vision")["run_id"]
        trainer.call("monitor.log", run=run, step=0, metrics={"loss": 2.0})
        socket = dashboard.socket()
        try:
            watch = socket.result("store.watch", runs=[run], alerts=True, run_list=True)
            # Where the points stand now: what follows comes as notifications.
            assert watch["runs"] == [{"run_id": run, "attempt": 0, "step": 0}]
            socket.wait_for(lambda m: m.get("method") == "store.runs")
            latencies = []
            for step in range(1, 6):
                sent = time.monotonic()
                trainer.call("monitor.log", run=run, step=step, metrics={"loss": 2.0 / (step + 1), "lr": 0.01})
                message, arrived = socket.wait_for(
                    lambda m: m.get("method") == "store.points" and m["params"]["points"][-1]["step"] == step, timeout=2)
                latencies.append(arrived - sent)
                assert message["params"]["run_id"] == run
                assert message["params"]["points"][-1]["metrics"] == {"loss": 2.0 / (step + 1), "lr": 0.01}
            assert max(latencies) < 1.0, latencies
            # A NaN: the alert, with the monitor's advice, reaches the watcher.
            sent = time.monotonic()
            trainer.call("monitor.log", run=run, step=6, metrics={"loss": math.nan, "lr": 0.01})
            alert, arrived = socket.wait_for(lambda m: m.get("method") == "store.alert", timeout=2)
            assert arrived - sent < 1.0
            params = alert["params"]
            assert params["run"] == {"run_id": run, "name": "live", "project": "vision"} and params["step"] == 6
            assert params["anomalies"][0]["type"] == "non_finite" and params["anomalies"][0]["value"] == "NaN"
            assert params["action"]["kind"] in ("rollback", "stop")
            points, _ = socket.wait_for(lambda m: m.get("method") == "store.points", timeout=2)
            assert points["params"]["points"][-1]["metrics"]["loss"] == "NaN"
            # The run list hears of the run's end, and of a run started elsewhere.
            trainer.call("run.finish", run=run, status="failed")
            other = trainer.call("run.start", name="second")["run_id"]
            seen = {}
            while set(seen) != {run, other} or seen[run]["status"] != "failed":
                message, _ = socket.wait_for(lambda m: m.get("method") == "store.runs", timeout=2)
                for entry in message["params"]["runs"]:
                    seen[entry["run_id"]] = entry
            assert seen[run]["last_step"] == 6
            # Unwatching stops it all.
            assert socket.result("store.unwatch") == {"stopped": True}
            trainer.call("monitor.log", run=other, step=1, metrics={"loss": math.nan})
            with pytest.raises(TimeoutError):
                socket.wait_for(lambda m: True, timeout=1)
        finally:
            socket.close()


def test_a_watch_starts_the_alerts_a_backlog_back_and_refuses_bad_params(binary, db, dashboard):
    with Client.spawn(db=db, binary=binary) as trainer:
        run = trainer.call("run.start", name="earlier")["run_id"]
        for step in range(3):
            trainer.call("monitor.log", run=run, step=step, metrics={"loss": math.nan})
    socket = dashboard.socket()
    try:
        socket.result("store.watch", alerts=True, alert_backlog=10)
        alert, _ = socket.wait_for(lambda m: m.get("method") == "store.alert")
        assert alert["params"]["run"]["name"] == "earlier"
        for params, field in [({"runs": "earlier"}, "runs"), ({"runs": [1.5]}, "runs[0]"),
                              ({"alerts": "yes"}, "alerts"), ({"alert_backlog": -1}, "alert_backlog")]:
            reply = socket.call("store.watch", **params)
            assert reply["error"]["code"] == -32602 and reply["error"]["data"]["field"] == field, reply
        reply = socket.call("store.watch", runs=["nobody"])
        assert reply["error"]["code"] == -32001
    finally:
        socket.close()


def test_metrics_thinned_for_a_chart_keep_the_spikes_and_the_non_finite_values(client):
    run = client.call("run.start", name="long")["run_id"]
    total = 20_000
    for start in range(0, total, 1000):
        for step in range(start, start + 1000):
            value = 1.0 + 0.001 * math.sin(step)
            if step == 12_345:
                value = 50.0
            elif step == 17_000:
                value = math.nan
            elif step == 18_000:
                value = -math.inf
            client.notify("monitor.log", run=run, step=step, metrics={"loss": value})
    client.call("run.get", run=run)  # after the notifications
    series = client.call("run.metrics", run=run, max_points=400)["series"]["loss"]
    assert series["total"] == total and len(series["steps"]) <= 400
    assert series["steps"] == sorted(series["steps"])
    values = dict(zip(series["steps"], series["values"]))
    assert values[12_345] == 50.0
    assert math.isnan(values[17_000]) and values[18_000] == -math.inf
    assert min(v for v in series["values"] if math.isfinite(v)) == pytest.approx(0.999, abs=1e-5)
    # Without it, every point; with a range, the range thinned.
    assert len(client.call("run.metrics", run=run)["series"]["loss"]["steps"]) == total
    ranged = client.call("run.metrics", run=run, since_step=12_000, until_step=12_999, max_points=50)["series"]["loss"]
    assert ranged["total"] == 1000 and len(ranged["steps"]) <= 50 and 12_345 in ranged["steps"]
    with pytest.raises(Exception) as refused:
        client.call("run.metrics", run=run, max_points=1)
    assert refused.value.code == -32602 and refused.value.data["field"] == "max_points"


def test_the_ui_refuses_a_port_in_use_with_one_clear_line(binary, db, dashboard):
    port = dashboard.base.rsplit(":", 1)[1]
    import subprocess
    done = subprocess.run([binary, "ui", "--db", str(db), "--port", port], capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and done.stdout == ""
    assert f"cannot serve on 127.0.0.1:{port}" in done.stderr


def test_the_dashboard_serves_only_images_the_store_knows(binary, db, dashboard, tmp_path):
    from images import FIXTURES
    known = tmp_path / "known.jpg"
    known.write_bytes((FIXTURES / "photo.jpg").read_bytes())
    stranger = tmp_path / "stranger.jpg"
    stranger.write_bytes(known.read_bytes())
    with Client.spawn(db=db, binary=binary) as client:
        run = client.call("run.start", name="batches")["run_id"]
        client.call("monitor.batch", run=run, step=1, batch=0, metrics={"accuracy": 0.5}, samples=[str(known)])
    auth = {"Authorization": "token " + dashboard.token}
    image = lambda path: fetch(dashboard.base + "/image?path=" + urllib.parse.quote(str(path)), auth)
    status, headers, body = image(known)
    assert status == 200 and headers["Content-Type"] == "image/jpeg" and body == known.read_bytes()
    # Not in the store: refused, whatever it is.
    for path in [stranger, "/etc/passwd", tmp_path / "known.jpg/../stranger.jpg"]:
        status, _, body = image(path)
        assert status == 404 and b"not an image this store knows" in body, path
    assert fetch(dashboard.base + "/image?path=" + urllib.parse.quote(str(known)))[0] == 403
    # Known but gone: the reason is drawn where the image would be.
    known.unlink()
    status, headers, body = image(known)
    assert status == 200 and headers["Content-Type"] == "image/svg+xml" and headers["X-Runclinic-Image"] == "unavailable"
    assert b"no such file" in body


def test_the_ui_attaches_to_a_trainers_server_socket(binary, db, short_tmp, tmp_path):
    from conftest import wait_for_socket
    import subprocess
    path = short_tmp / "trainer.sock"
    server = subprocess.Popen([binary, "serve", "--db", str(db), "--socket", str(path)], stderr=subprocess.DEVNULL)
    try:
        wait_for_socket(path)
        with Client.connect(path) as trainer, Dashboard(binary, tmp_path / "unused.db", "--socket", str(path)) as dashboard:
            run = trainer.call("run.start", name="attached")["run_id"]
            socket = dashboard.socket()
            try:
                # The page's calls reach the trainer's server: the run it logs, live.
                assert [r["name"] for r in socket.result("run.list")["runs"]] == ["attached"]
                socket.result("store.watch", runs=[run], alerts=True)
                trainer.call("monitor.log", run=run, step=1, metrics={"loss": math.nan})
                alert, _ = socket.wait_for(lambda m: m.get("method") == "store.alert", timeout=2)
                assert alert["params"]["run"]["name"] == "attached"
                # Subscriptions are the trainer server's own: monitor.subscribe works as on its socket.
                assert socket.result("monitor.subscribe", run=run)["subscribed"] is True
                other = trainer.call("run.start", name="second")["run_id"]
                socket.result("monitor.subscribe")
                trainer.call("monitor.log", run=other, step=1, metrics={"loss": math.inf})
                pushed, _ = socket.wait_for(lambda m: m.get("method") == "monitor.alert", timeout=2)
                assert pushed["params"]["run"]["run_id"] == other
            finally:
                socket.close()
        assert not (tmp_path / "unused.db").exists()
    finally:
        server.terminate()
        server.wait(10)
    # No server there: one clear line, exit status 1.
    done = subprocess.run([binary, "ui", "--socket", str(short_tmp / "none.sock"), "--port", "0"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and done.stdout == ""
    assert "cannot connect to" in done.stderr and "runclinic serve --socket" in done.stderr


def test_open_starts_the_users_browser_on_the_url(binary, db, tmp_path):
    import os
    import stat
    opened = tmp_path / "opened.txt"
    fake = tmp_path / "bin" / "xdg-open"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho \"$1\" > {opened}\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    environment = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"}
    with Dashboard(binary, db, "--open", env=environment) as dashboard:
        deadline = time.monotonic() + 10
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert opened.read_text().strip() == dashboard.url
