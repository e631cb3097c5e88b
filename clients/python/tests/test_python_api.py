"""The Python API as ML users write it (issue 16): wandb's argument order, the numbers training
loops produce, config updates, typed helpers for every method family, an editor's socket."""

import fractions
import math
import pathlib

import numpy as np
import pytest

import runclinic
from runclinic import Client, Monitor, RPCError
from conftest import wait_for_socket


def test_log_takes_metrics_first_with_an_automatic_step_and_the_old_order_still_works(binary, db):
    with Monitor("order", db=db, binary=binary) as monitor:
        monitor.log({"loss": 1.0})                   # step 0
        monitor.log({"loss": 0.9})                   # step 1
        monitor.log({"loss": 0.8}, step=5)
        monitor.log({"loss": 0.7}, wait=False)       # step 6
        monitor.log(9, {"loss": 0.6})                # the step first, as before
        monitor.log(step=10, metrics={"loss": 0.5})
        monitor.log({"loss": 0.4}, 12, False)        # positional wait
        series = monitor.metrics()["loss"]
    assert series["steps"] == [0, 1, 5, 6, 9, 10, 12]
    assert series["values"] == [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4]
    # A resumed run carries on after its last step.
    with Monitor("order", db=db, binary=binary) as monitor:
        assert monitor.resumed
        monitor.log({"loss": 0.3})
        assert monitor.metrics()["loss"]["steps"][-1] == 13


@pytest.mark.parametrize("wait", [True, False])
def test_numpy_values_and_steps_are_logged_as_numbers(binary, db, wait):
    values = {
        "float32": np.float32(0.5), "float64": np.float64(0.25), "int64": np.int64(7),
        "zero_d": np.array(0.125), "zero_d_int": np.array(3, dtype=np.int32),
        "fraction": fractions.Fraction(1, 8), "nan": np.float32("nan"),
    }
    with Monitor("numpy", db=db, binary=binary, wait=wait) as monitor:
        monitor.log(values, step=np.int64(4))
        monitor.batch(np.int64(4), np.int32(0), {"acc": np.float16(0.75)}, samples=[pathlib.Path("a.png")])
        monitor.checkpoint(4, pathlib.Path("ckpt.pt"), metrics={"acc": np.float32(0.75)})
        series = monitor.metrics()
        batches = monitor.client.call("run.batches", run=monitor.run_id)["batches"]
    expected = {"float32": 0.5, "float64": 0.25, "int64": 7, "zero_d": 0.125, "zero_d_int": 3, "fraction": 0.125}
    for name, value in expected.items():
        assert series[name]["steps"] == [4] and series[name]["values"] == [value], name
    assert math.isnan(series["nan"]["values"][0])
    assert batches[0]["metrics"] == {"acc": 0.75} and batches[0]["samples"] == ["a.png"]


@pytest.mark.parametrize("wait", [True, False])
def test_a_value_that_is_not_one_number_is_refused_naming_the_metric(binary, db, wait):
    with Monitor("bad", db=db, binary=binary, wait=wait) as monitor:
        for bad, said in [("high", "str 'high'"), (None, "NoneType"), (np.array([0.1, 0.2]), "shape (2,)"),
                          ([0.1], "list"), (True, "bool True"), (np.bool_(False), "numpy.bool")]:
            with pytest.raises(TypeError) as raised:
                monitor.log({"loss": 0.5, "val/acc": bad}, step=1)
            assert "metric 'val/acc'" in str(raised.value) and said in str(raised.value)
        with pytest.raises(TypeError, match="metric 'acc'"):
            monitor.batch(1, 0, {"acc": "x"})
        with pytest.raises(TypeError, match="metrics: expected a mapping"):
            monitor.log([0.5], step=1)
        monitor.log({"loss": 0.5}, step=1)  # nothing of the refused calls was sent or counted
        assert monitor.client.call("run.get", run=monitor.run_id)["counts"]["points"] == 1
        assert monitor.metrics()["loss"]["steps"] == [1]


def test_update_config_merges_removes_and_applies_monitoring_rules(binary, db):
    with Monitor("cfg", db=db, binary=binary, config={"lr": np.float32(0.5), "layers": 2}) as monitor:
        assert monitor.client.run(monitor.run_id)["config"] == {"lr": 0.5, "layers": 2}
        config = monitor.update_config({"batch_size": np.int64(64)}, layers=3, optimizer="adam")
        assert config == {"lr": 0.5, "layers": 3, "batch_size": 64, "optimizer": "adam"}
        assert monitor.update_config(optimizer=None) == {"lr": 0.5, "layers": 3, "batch_size": 64}
        # Monitoring rules given this way apply to the live run at once.
        monitor.update_config(experiment_monitoring={"alert_thresholds": {"val/acc": 0.9}})
        verdict = monitor.log({"val/acc": 0.5}, step=1)
        assert any(anomaly["type"] == "threshold" for anomaly in monitor.anomalies)
        assert verdict is None or verdict.kind
        with pytest.raises(RPCError) as refused:
            monitor.update_config(experiment_monitoring={"anomaly_detection": {"window": "ten"}})
        assert refused.value.data["field"] == "config.experiment_monitoring.anomaly_detection.window"
        stored = monitor.client.run(monitor.run_id)["config"]
        assert stored["experiment_monitoring"] == {"alert_thresholds": {"val/acc": 0.9}}
    # Finished runs take hyperparameters recorded after the fact, and the project's analysis sees them.
    with Client.spawn(db=db, binary=binary) as client:
        updated = client.call("run.update_config", run="cfg", config={"seed": 1})
        assert updated["config"]["seed"] == 1 and updated["warnings"] == []
        with pytest.raises(RPCError) as missing:
            client.call("run.update_config", run="cfg")
        assert missing.value.data["field"] == "config"


def test_typed_helpers_cover_every_method_family_and_return_plain_data(binary, db, tmp_path):
    for name, lr in [("a", 0.1), ("b", 0.01), ("c", 0.001)]:
        with Monitor(name, project="p", db=db, binary=binary, config={"lr": lr}) as monitor:
            for step in range(60):
                monitor.log({"train/loss": 1 / (1 + step * lr * 10), "val/accuracy": 0.5 + 0.4 * step * lr}, step=step)
    images = tmp_path / "images"
    images.mkdir()
    (images / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with Client.spawn(db=db, binary=binary) as client:
        runs = client.runs(project="p")
        assert sorted(run["name"] for run in runs) == ["a", "b", "c"]
        assert client.run("a", project="p")["counts"]["points"] == 120
        assert client.metrics("a", keys=["val/accuracy"], project="p")["val/accuracy"]["steps"][-1] == 59
        analysis = client.analyze("a", project="p", output_dir=tmp_path / "report", formats=["md"])
        assert isinstance(analysis["key_finding"], (str, dict)) and (tmp_path / "report").is_dir()
        points = client.change_points([0.0] * 50 + [5.0] * 50)
        assert points["change_points"] == [50]
        comparison = client.compare(["a", "b", "c"], project="p", metric="val/accuracy")
        assert comparison["best"]["runs"] == ["a"]
        impact = client.hyperparameters("p", metric="val/accuracy", min_runs=3)
        assert impact["project"] == "p" and impact["runs"] == 3
        audit = client.audit(images)
        assert audit["images"] == 1 and audit["counts"]
        assert client.audit_findings(audit["audit_id"])["total"] >= 1
        exported = client.export_run("a", project="p", format="csv", path=tmp_path / "a.csv")
        assert exported["points"] == 120 and (tmp_path / "a.csv").exists()
        imported = client.import_run(tmp_path / "a.csv", project="copies", name="a-copy")
        assert [run["name"] for run in imported["runs"]] == ["a-copy"] and imported["errors"] == []
        with pytest.raises(RPCError) as unknown:
            client.analyze("nope", project="p")
        assert unknown.value.code == -32001


def test_an_editor_attaches_to_the_trainers_socket(binary, db, short_tmp):
    path = short_tmp / "trainer.sock"
    with Monitor("live", db=db, binary=binary, socket_for_editors=path) as monitor:
        wait_for_socket(str(path))
        with Client.connect(path) as editor:
            editor.call("monitor.subscribe", run="live")
            assert [run["name"] for run in editor.runs()] == ["live"]
            monitor.log({"train/loss": float("nan")}, step=3)
            alert = editor.wait_for_notification("monitor.alert", timeout=10)
            assert alert["run"]["name"] == "live" and alert["anomalies"][0]["type"] == "non_finite"


def test_the_package_says_it_is_typed():
    package = pathlib.Path(runclinic.__file__).parent
    assert (package / "py.typed").exists()
    hints = Monitor.log.__annotations__
    assert {"metrics", "step", "wait", "time", "return"} <= set(hints)
