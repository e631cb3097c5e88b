"""Monitoring configuration (YAML file, inline, mid-run), alerts to subscribers and webhooks,
and detector state that survives a restart."""

import http.server
import json
import math
import subprocess
import threading
import time

import pytest

from runclinic import Client, RPCError
from conftest import query_store, wait_for_socket

HANDBOOK_YAML = """
experiment_monitoring:
  enable_real_time_analysis: true
  primary_metric: val/hmean          # optional; otherwise the first validation metric seen
  alert_thresholds: {val/recall: 0.75}
  anomaly_detection:
    performance_drop_threshold: 0.05
    zscore_threshold: 3.0
    window: 30
    plateau_patience: 10
  metrics: {val/cer: {mode: min}}    # direction overrides
  auto_recovery:
    enable: true
    strategies: [rollback_on_severe_drop, adjust_lr_on_plateau, stop_on_divergence]
    lr_factor: 0.5
    max_rollbacks: 3
  reporting: {auto_generate_reports: false}
"""


def test_yaml_file_then_inline_config(binary, db, tmp_path):
    path = tmp_path / "monitor.yaml"
    path.write_text(HANDBOOK_YAML)
    with Client.spawn(db=db, binary=binary, args=["--config", str(path)]) as client:
        run = client.call("run.start", name="yaml")["run_id"]
        reply = client.call("monitor.log", run=run, step=1, metrics={"val/recall": 0.70})
        assert [a["type"] for a in reply["anomalies"]] == ["threshold"]
        # Inline settings win over the file's.
        inline = {"experiment_monitoring": {"alert_thresholds": {"val/recall": 0.6}}}
        run2 = client.call("run.start", name="inline", config=inline)["run_id"]
        assert client.call("monitor.log", run=run2, step=1, metrics={"val/recall": 0.70})["anomalies"] == []
        effective = client.call("monitor.configure", run=run2, config={"experiment_monitoring": {}})["config"]
        assert effective["experiment_monitoring"]["primary_metric"] == "val/hmean"  # from the file
        assert effective["experiment_monitoring"]["metrics"] == {"val/cer": {"mode": "min"}}


def test_bad_config_is_refused_with_the_keys_path(client, binary, db, tmp_path):
    bad = {"experiment_monitoring": {"anomaly_detection": {"window": "ten"}}}
    with pytest.raises(RPCError) as error:
        client.call("run.start", name="bad", config=bad)
    assert error.value.code == -32602
    assert error.value.message.endswith('config.experiment_monitoring.anomaly_detection.window: expected an integer of at least 5, got "ten"')
    assert error.value.data["field"] == "config.experiment_monitoring.anomaly_detection.window"
    assert client.call("run.list")["runs"] == []  # nothing was created
    with pytest.raises(RPCError) as error:
        client.call("run.start", name="bad", config={"experiment_monitoring": {"auto_recovery": {"strategies": ["pray"]}}})
    assert "strategies[0]" in error.value.data["field"]
    warned = client.call("run.start", name="warned", config={"experiment_monitoring": {"anomaly_detectoin": {}}})
    assert warned["warnings"] and "anomaly_detectoin" in warned["warnings"][0]
    path = tmp_path / "bad.yaml"
    path.write_text("experiment_monitoring:\n  anomaly_detection:\n    window: ten\n")
    refused = subprocess.run([binary, "serve", "--db", str(db), "--config", str(path)], capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0
    assert "experiment_monitoring.anomaly_detection.window: expected an integer of at least 5, got \"ten\"" in refused.stderr


def test_configure_changes_rules_mid_run(client):
    run = client.call("run.start", name="mid")["run_id"]
    assert client.call("monitor.log", run=run, step=1, metrics={"val/acc": 0.5})["anomalies"] == []
    client.call("monitor.configure", run=run, config={"experiment_monitoring": {"alert_thresholds": {"val/acc": 0.6}}})
    assert [a["type"] for a in client.call("monitor.log", run=run, step=2, metrics={"val/acc": 0.5})["anomalies"]] == ["threshold"]
    stored = client.call("run.get", run=run)["config"]
    assert stored["experiment_monitoring"]["alert_thresholds"] == {"val/acc": 0.6}
    with pytest.raises(RPCError) as error:
        client.call("monitor.configure", run=run, config={"experiment_monitoring": {"anomaly_detection": {"zscore_threshold": -1}}})
    assert error.value.data["field"] == "config.experiment_monitoring.anomaly_detection.zscore_threshold"


def test_an_editor_on_the_socket_sees_the_trainers_alerts(binary, db, short_tmp):
    path = str(short_tmp / "live.sock")
    with Client.spawn(db=db, binary=binary, args=["--stdio", "--socket", path]) as trainer:
        run = trainer.call("run.start", name="watched")["run_id"]
        other = trainer.call("run.start", name="unwatched")["run_id"]
        wait_for_socket(path)
        with Client.connect(path) as editor:
            assert editor.call("monitor.subscribe", run="watched") == {"subscribed": True, "run_id": run}
            trainer.call("monitor.log", run=other, step=1, metrics={"loss": math.nan})
            trainer.call("monitor.log", run=run, step=1, metrics={"loss": math.nan})
            alert = editor.wait_for_notification("monitor.alert", timeout=5)
            assert alert["run"] == {"run_id": run, "name": "watched"}
            assert alert["anomalies"][0]["type"] == "non_finite"
            assert editor.call("monitor.unsubscribe") == {"removed": 1}
            trainer.call("monitor.log", run=run, step=2, metrics={"loss": math.inf})
            with pytest.raises(TimeoutError):
                editor.wait_for_notification("monitor.alert", timeout=0.5)


class Hook(http.server.BaseHTTPRequestHandler):
    received = []
    status = 200
    slow_seconds = 4.0

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path.startswith("/slow"):
            time.sleep(Hook.slow_seconds)
        Hook.received.append((self.path, json.loads(body)))
        self.send_response(Hook.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_server():
    Hook.received = []
    Hook.status = 200
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_webhooks_get_slack_text_and_json_off_the_hot_path(client, webhook_server):
    port = webhook_server.server_address[1]
    alerts = {"slack_webhook": f"http://127.0.0.1:{port}/slack", "webhook": f"http://127.0.0.1:{port}/generic"}
    run = client.call("run.start", name="hooked", config={"experiment_monitoring": {"alerts": alerts}})["run_id"]
    client.call("monitor.log", run=run, step=1, metrics={"loss": math.nan})
    assert wait_until(lambda: len(Hook.received) == 2)
    by_path = dict(Hook.received)
    assert "loss is NaN at step 1" in by_path["/slack"]["text"] and by_path["/slack"]["text"].startswith("runclinic: run hooked")
    assert by_path["/generic"]["anomalies"][0]["type"] == "non_finite"
    assert by_path["/generic"]["run"]["name"] == "hooked"


def test_failing_webhooks_are_stored_and_never_slow_logging(client, db, webhook_server):
    Hook.status = 500
    port = webhook_server.server_address[1]
    dead = {"webhook": "http://127.0.0.1:9/unreachable", "slack_webhook": f"http://127.0.0.1:{port}/fails"}
    run = client.call("run.start", name="dead-hook", config={"experiment_monitoring": {"alerts": dead}})["run_id"]
    started = time.perf_counter()
    client.call("monitor.log", run=run, step=1, metrics={"loss": math.nan})
    for step in range(2, 200):
        client.call("monitor.log", run=run, step=step, metrics={"loss": 1.0})
    assert time.perf_counter() - started < 5
    def failures():
        return query_store(
            db, "SELECT target, status, attempts, error FROM alert_deliveries WHERE status != 'delivered' ORDER BY target")
    assert wait_until(lambda: len(failures()) == 2, timeout=30)
    rows = failures()
    assert [row[1] for row in rows] == ["failed", "failed"] and all(row[2] == 3 for row in rows)
    assert any("HTTP 500" in row[3] for row in rows)
    assert len([path for path, _ in Hook.received if path == "/fails"]) == 3  # bounded retries


def test_a_slow_webhook_does_not_delay_another_destination(client, webhook_server):
    port = webhook_server.server_address[1]
    slow = client.call("run.start", name="slow-hook", config={"experiment_monitoring": {"alerts": {"webhook": f"http://127.0.0.1:{port}/slow"}}})
    fast = client.call("run.start", name="fast-hook", config={"experiment_monitoring": {"alerts": {"slack_webhook": f"http://127.0.0.1:{port}/fast"}}})
    client.call("monitor.log", run=slow["run_id"], step=1, metrics={"loss": math.nan})
    time.sleep(0.2)  # the slow hook's request is in flight
    client.call("monitor.log", run=fast["run_id"], step=1, metrics={"loss": math.nan})
    assert wait_until(lambda: any(path == "/fast" for path, _ in Hook.received), timeout=10)
    assert not any(path == "/slow" for path, _ in Hook.received)  # the fast one came while the slow one was held


def test_alerts_not_delivered_at_exit_are_recorded(binary, db, webhook_server):
    port = webhook_server.server_address[1]
    names = [f"exit-hook-{index}" for index in range(3)]
    with Client.spawn(db=db, binary=binary) as client:
        for name in names:
            config = {"experiment_monitoring": {"alerts": {"webhook": f"http://127.0.0.1:{port}/slow"}}}
            run = client.call("run.start", name=name, config=config)["run_id"]
            client.call("monitor.log", run=run, step=1, metrics={"loss": math.nan})
    # The server has exited: one alert was on its way to the (one, slow) hook, two were queued
    # behind it. Each reached the hook or is recorded as not delivered.
    recorded = query_store(
        db, "SELECT runs.name, alert_deliveries.status, error FROM alert_deliveries JOIN runs ON runs.id = run_id "
            "WHERE alert_deliveries.status != 'delivered'")
    time.sleep(Hook.slow_seconds + 0.5)  # requests in flight at exit finish on the hook's side
    delivered = {body["run"]["name"] for _, body in Hook.received} & set(names)
    assert delivered | {name for name, _, _ in recorded} == set(names)
    assert recorded and all(status == "dropped" and "stopped" in error for _, status, error in recorded)


def test_detector_state_survives_a_restart(binary, db):
    with Client.spawn(db=db, binary=binary) as client:
        run = client.call("run.start", name="restart")["run_id"]
        for step, recall in enumerate([0.80, 0.85, 0.89]):
            client.call("monitor.log", run=run, step=step, metrics={"val/recall": recall})
        client.call("monitor.log", run=run, step=3, metrics={"val/recall": 0.74})
        assert len(client.call("run.anomalies", run=run)["anomalies"]) == 1
    with Client.spawn(db=db, binary=binary) as client:
        # Replayed silently: the ongoing drop is not reported again, the best is remembered.
        again = client.call("monitor.log", run=run, step=4, metrics={"val/recall": 0.745})
        assert again["anomalies"] == []
        recovered = client.call("monitor.log", run=run, step=5, metrics={"val/recall": 0.89})
        assert recovered["anomalies"] == []
        fresh = client.call("monitor.log", run=run, step=6, metrics={"val/recall": 0.80})
        assert [a["type"] for a in fresh["anomalies"]] == ["sudden_drop"] and fresh["anomalies"][0]["baseline"] == 0.89


def test_a_resumed_run_keeps_its_stored_rules(client):
    config = {"experiment_monitoring": {"alert_thresholds": {"val/acc": 0.6}}}
    run = client.call("run.start", name="resumed-rules", config=config)["run_id"]
    client.call("monitor.log", run=run, step=1, metrics={"val/acc": 0.7})
    client.call("run.finish", run=run)
    client.call("run.start", name="resumed-rules")  # no config: the stored one stays
    reply = client.call("monitor.log", run=run, step=2, metrics={"val/acc": 0.5})
    assert [a["type"] for a in reply["anomalies"]] == ["threshold", "sudden_drop"]
