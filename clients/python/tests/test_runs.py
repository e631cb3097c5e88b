"""Runs, metrics, batches and checkpoints through the real client, server and SQLite file."""

import math
import threading

import pytest

from runclinic import Client, Monitor, RPCError
from conftest import count_points, is_postgresql, query_store


def test_start_resume_finish_and_list(client):
    first = client.call("run.start", name="exp-1", project="receipts", config={"lr": 0.001, "model": {"depth": 4}}, tags=["a"])
    assert first["resumed"] is False and first["project"] == "receipts"
    client.call("monitor.log", run=first["run_id"], step=10, metrics={"loss": 1.0})
    client.call("run.finish", run="exp-1")
    with pytest.raises(RPCError) as error:
        client.call("monitor.log", run="exp-1", step=11, metrics={"loss": 0.9})
    assert error.value.code == -32002 and error.value.data["status"] == "finished"
    again = client.call("run.start", name="exp-1", project="receipts", tags=["b"])
    assert again["resumed"] is True and again["run_id"] == first["run_id"] and again["last_step"] == 10
    client.call("monitor.log", run="exp-1", step=11, metrics={"loss": 0.9})
    run = client.call("run.get", run="exp-1")
    assert run["status"] == "running" and run["tags"] == ["a", "b"]
    assert run["config"] == {"lr": 0.001, "model": {"depth": 4}}
    assert run["counts"]["points"] == 2 and run["last_step"] == 11
    client.call("run.start", name="other")
    client.call("run.finish", run="other", status="failed")
    names = [r["name"] for r in client.call("run.list")["runs"]]
    assert names == ["other", "exp-1"]
    assert [r["name"] for r in client.call("run.list", status="failed")["runs"]] == ["other"]
    assert [r["name"] for r in client.call("run.list", project="receipts")["runs"]] == ["exp-1"]
    assert len(client.call("run.list", limit=1)["runs"]) == 1


def test_errors_are_precise(client):
    with pytest.raises(RPCError) as error:
        client.call("run.get", run="missing")
    assert error.value.code == -32001 and error.value.data == {"run": "missing"}
    client.call("run.start", name="dup", project="p1")
    client.call("run.start", name="dup", project="p2")
    with pytest.raises(RPCError) as error:
        client.call("run.get", run="dup")
    assert error.value.code == -32004 and sorted(error.value.data["projects"]) == ["p1", "p2"]
    assert client.call("run.get", run="dup", project="p2")["project"] == "p2"
    client.call("monitor.log", run="dup", project="p1", step=5, metrics={"loss": 1.0})
    with pytest.raises(RPCError) as error:
        client.call("monitor.log", run="dup", project="p1", step=4, metrics={"loss": 1.0})
    assert error.value.code == -32003
    assert error.value.data["last_step"] == 5 and error.value.data["metric"] == "loss"
    with pytest.raises(RPCError) as error:
        client.call("run.finish", run="dup", project="p1", status="running")
    assert error.value.code == -32602 and error.value.data["field"] == "status"
    with pytest.raises(RPCError) as error:
        client.call("run.metrics", run="dup", project="p1", keys=["nope"])
    assert error.value.code == -32602 and "loss" in error.value.message
    with pytest.raises(RPCError) as error:
        client.call("monitor.log", run="dup", project="p1", step=-1, metrics={})
    assert error.value.data["field"] == "step"


def test_metrics_round_trip_with_non_finite_values(client, db):
    run = client.call("run.start", name="nan")["run_id"]
    values = [0.5, float("nan"), float("inf"), float("-inf"), 1e-310, 123456789.123456789]
    for step, value in enumerate(values):
        client.call("monitor.log", run=run, step=step, metrics={"train/loss": value, "lr": 0.1}, time=1000.0 + step)
    series = client.call("run.metrics", run=run)["series"]
    assert list(series) == ["train/loss", "lr"]
    loss = series["train/loss"]
    assert loss["steps"] == list(range(6)) and loss["times"] == [1000.0 + s for s in range(6)]
    assert math.isnan(loss["values"][1])
    assert [v for i, v in enumerate(loss["values"]) if i != 1] == [v for i, v in enumerate(values) if i != 1]
    window = client.call("run.metrics", run=run, keys=["lr"], since_step=2, until_step=3)["series"]
    assert list(window) == ["lr"] and window["lr"]["steps"] == [2, 3]
    # NaN is stored explicitly, not lost: as NULL in SQLite (documented: it has no NaN), as NaN in
    # PostgreSQL.
    nan = "value = 'NaN'" if is_postgresql(db) else "value IS NULL"
    assert query_store(db, f"SELECT COUNT(*) FROM metric_points WHERE {nan}")[0][0] == 1


def test_batches_keep_their_samples(client):
    run = client.call("run.start", name="val")["run_id"]
    paths = [f"data/val/img_{i:04d}.jpg" for i in range(32)]
    for batch in range(4):
        client.call("monitor.batch", run=run, step=100, batch=batch, metrics={"val/recall": 0.9 - batch / 10},
                    samples=paths[batch * 8:(batch + 1) * 8])
    client.call("monitor.batch", run=run, step=200, batch=0, phase="test", metrics={"val/recall": float("nan")})
    records = client.call("run.batches", run=run, step=100)["batches"]
    assert [r["batch"] for r in records] == [0, 1, 2, 3]
    assert records[2]["samples"] == paths[16:24] and records[2]["metrics"] == {"val/recall": pytest.approx(0.7)}
    assert records[0]["phase"] == "val"
    last = client.call("run.batches", run=run, batch=0)["batches"]
    assert [r["step"] for r in last] == [100, 200] and last[1]["phase"] == "test"
    assert math.isnan(last[1]["metrics"]["val/recall"])
    assert client.call("run.get", run=run)["counts"]["batches"] == 5


def test_checkpoints_rank_by_the_primary_metric(client):
    run = client.call("run.start", name="ck")["run_id"]
    for step, (loss, recall) in enumerate([(1.0, 0.5), (0.8, 0.89), (0.7, 0.74)]):
        client.call("monitor.log", run=run, step=step * 100, metrics={"train/loss": loss, "val/recall": recall})
        answer = client.call("monitor.checkpoint", run=run, step=step * 100, path=f"ckpt/{step}.pt")
    assert answer["primary_metric"] == "val/recall" and answer["mode"] == "max"
    assert answer["best"]["path"] == "ckpt/1.pt" and answer["best"]["score"] == 0.89
    assert answer["checkpoint"]["metrics"] == {"train/loss": 0.7, "val/recall": 0.74}
    # Explicit metrics override the logged ones; a configured primary metric and mode win.
    cfg = {"experiment_monitoring": {"primary_metric": "val/cer", "metrics": {"val/cer": {"mode": "min"}}}}
    other = client.call("run.start", name="ck2", config=cfg)["run_id"]
    client.call("monitor.checkpoint", run=other, step=1, path="a", metrics={"val/cer": 0.3})
    answer = client.call("monitor.checkpoint", run=other, step=2, path="b", metrics={"val/cer": 0.2})
    assert answer["best"]["path"] == "b" and answer["mode"] == "min"
    listed = client.call("run.checkpoints", run=other)
    assert [c["path"] for c in listed["checkpoints"]] == ["a", "b"] and listed["best"]["path"] == "b"
    assert client.call("run.get", run="ck")["best_checkpoint"]["path"] == "ckpt/1.pt"


def test_monitor_helper_logs_fire_and_forget_and_waits(binary, db):
    with Monitor("helper", project="demo", config={"lr": 0.1}, db=db, binary=binary, wait=False) as mon:
        for step in range(1000):
            assert mon.log(step, {"train/loss": 1.0 / (step + 1), "lr": 0.1}) is None
        verdict = mon.log(1000, {"train/loss": 0.001}, wait=True)
        assert verdict is None and mon.anomalies == []
        mon.batch(1000, 0, {"val/acc": 0.5}, samples=["a.png", "b.png"])
        best = mon.checkpoint(1000, "ckpt.pt", metrics={"val/acc": 0.5})
        assert best["best"]["path"] == "ckpt.pt"
        series = mon.metrics(["train/loss"])
        assert len(series["train/loss"]["steps"]) == 1001
        run_id = mon.run_id
    assert count_points(db, run_id) == 2001
    with Client.spawn(db=db, binary=binary) as client:
        assert client.call("run.get", run="helper")["status"] == "finished"


def test_monitor_marks_a_crashed_loop_failed(binary, db):
    with pytest.raises(ZeroDivisionError):
        with Monitor("crash", db=db, binary=binary) as mon:
            mon.log(0, {"loss": 1.0})
            1 / 0
    with Client.spawn(db=db, binary=binary) as client:
        assert client.call("run.get", run="crash")["status"] == "failed"


def test_client_is_thread_safe(binary, db):
    with Client.spawn(db=db, binary=binary) as client:
        runs = [client.call("run.start", name=f"t{i}")["run_id"] for i in range(4)]

        def work(run):
            for step in range(500):
                if step % 3 == 0:
                    client.call("monitor.log", run=run, step=step, metrics={"loss": 1.0, "acc": 0.5})
                else:
                    client.notify("monitor.log", run=run, step=step, metrics={"loss": 1.0, "acc": 0.5})

        threads = [threading.Thread(target=work, args=(run,)) for run in runs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for run in runs:
            assert client.call("run.get", run=run)["counts"]["points"] == 1000
        assert client.notification_errors == []


def test_notification_failures_reach_the_client(client):
    client.notify("monitor.log", run="ghost", step=1, metrics={"loss": 1.0})
    client.call("run.list")
    assert len(client.notification_errors) == 1
    assert client.notification_errors[0].code == -32001 and client.notification_errors[0].method == "monitor.log"


def test_a_name_with_a_nul_character_is_refused_not_cut(client):
    """SQLite ends a C string at U+0000: such a name would be stored, and found again, cut short."""
    from runclinic import RPCError

    run = client.call("run.start", name="zz")["run_id"]
    with pytest.raises(RPCError) as raised:
        client.call("run.start", name="zz\u0000evil")
    assert raised.value.code == -32602 and raised.value.data["field"] == "name" and "NUL" in raised.value.message
    with pytest.raises(RPCError) as raised:
        client.call("monitor.log", run=run, step=1, metrics={"loss\u0000": 5, "loss": 6})
    assert raised.value.code == -32602 and raised.value.data["field"].startswith("metrics.loss")
    # Nothing of the refused call was kept; the run goes on.
    client.call("monitor.log", run=run, step=1, metrics={"loss": 7})
    assert client.call("run.metrics", run=run)["series"]["loss"]["values"] == [7]
    with pytest.raises(RPCError) as raised:
        client.call("run.get", run="zz\u0000evil")
    assert raised.value.code == -32602


def test_a_run_that_ended_in_nan_or_was_stopped_does_not_end_finished(client):
    """Without a status the run's own end decides; a status the trainer gives is taken as said."""
    nan_run = client.call("run.start", name="ended-nan")["run_id"]
    for step in range(1, 6):
        client.call("monitor.log", run=nan_run, step=step, metrics={"train/loss": 1.0 / step if step < 5 else float("nan")})
    ended = client.call("run.finish", run=nan_run)
    assert ended["status"] == "failed" and "train/loss ended NaN" in ended["status_reason"]
    healthy = client.call("run.start", name="healthy")["run_id"]
    for step in range(1, 6):
        client.call("monitor.log", run=healthy, step=step, metrics={"train/loss": 1.0 / step})
    ended = client.call("run.finish", run=healthy)
    assert ended["status"] == "finished" and "status_reason" not in ended
    said = client.call("run.start", name="said-finished")["run_id"]
    client.call("monitor.log", run=said, step=1, metrics={"train/loss": float("nan")})
    assert client.call("run.finish", run=said, status="finished")["status"] == "finished"
    # A finite loss that diverges, with no checkpoint to roll back to: the monitor says stop, the
    # trainer obeys (logs nothing after), and the run ends failed with the monitor's reason.
    stopped = client.call("run.start", name="obeyed-stop")["run_id"]
    advised = None
    for step in range(1, 400):
        loss = 1.0 / (1 + step / 50) if step < 200 else 0.4 * 1.03 ** (step - 200)
        action = client.call("monitor.log", run=stopped, step=step, metrics={"train/loss": loss})["action"]
        if action and action["kind"] == "stop":
            advised = step
            break
    assert advised is not None
    ended = client.call("run.finish", run=stopped)
    assert ended["status"] == "failed"
    assert ended["status_reason"] == f"the monitor advised stopping at step {advised} and nothing was logged after it"
    # Had the trainer gone on logging, the stop was not obeyed: the run's end decides alone.
    ignored = client.call("run.start", name="ignored-stop")["run_id"]
    for step in range(1, advised + 5):
        loss = 1.0 / (1 + step / 50) if step < 200 else 0.4 * 1.03 ** (step - 200)
        client.call("monitor.log", run=ignored, step=step, metrics={"train/loss": loss})
    assert client.call("run.finish", run=ignored)["status"] == "finished"


def test_fire_and_forget_values_arrive_exactly(binary, db):
    """Monitor.log without waiting writes the metrics' JSON by hand: every value comes back as the
    same double, the non-finite ones included, and values it does not write itself still go."""
    import math
    import struct

    from runclinic import Monitor

    values = [0.1, 1e-300, 1e300, 5e-324, -2.5, 3, 2**40 + 1, float("nan"), float("inf"), float("-inf"), 1 / 3]
    with Monitor("exact", db=db, binary=binary, wait=False) as monitor:
        for step, value in enumerate(values):
            monitor.log(step, {"value": value, "name \"quoted\" \\ é": step})
        with pytest.raises(TypeError, match="metric 'value': expected a number, got bool True"):
            monitor.log(len(values), {"value": True})  # not a number: refused before it is sent
        monitor.client.notify("monitor.log", run=monitor.run_id, step=len(values), metrics={"value": True})
        monitor.client.call("initialize")
        series = monitor.client.call("run.metrics", run=monitor.run_id)["series"]
        errors = list(monitor.client.notification_errors)
    stored = series["value"]["values"]
    bits = lambda number: struct.pack("<d", float(number))
    assert len(stored) == len(values)
    for sent, got in zip(values, stored):
        assert (math.isnan(sent) and math.isnan(got)) or bits(sent) == bits(got), (sent, got)
    assert series['name "quoted" \\ é']["values"] == list(range(len(values)))
    assert len(errors) == 1 and errors[0].code == -32602 and "value" in errors[0].message
