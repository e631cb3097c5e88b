"""The scenario suite: no warning on clean runs; each fault found, in the call that carries it."""

import pytest

from runclinic import Client
from scenarios import FAULTS, clean_runs, faulty_runs


def replay(client, scenario):
    """Logs a scenario synchronously; returns [(step, anomaly, action)] as the replies said them."""
    run = client.call("run.start", name=scenario.name, config=scenario.config)["run_id"]
    seen = []
    for step, metrics, batches in scenario.steps:
        for index, values, paths in batches:
            reply = client.call("monitor.batch", run=run, step=step, batch=index, metrics=values, samples=paths)
            seen += [(step, anomaly, reply["action"]) for anomaly in reply["anomalies"]]
        reply = client.call("monitor.log", run=run, step=step, metrics=metrics)
        seen += [(step, anomaly, reply["action"]) for anomaly in reply["anomalies"]]
    return run, seen


@pytest.fixture(scope="module")
def shared_client(binary, tmp_path_factory):
    db = tmp_path_factory.mktemp("scenarios") / "runs.db"
    with Client.spawn(db=db, binary=binary) as client:
        yield client


@pytest.mark.parametrize("scenario", clean_runs(), ids=lambda s: s.name)
def test_clean_runs_raise_no_warning(shared_client, scenario):
    _, seen = replay(shared_client, scenario)
    loud = [anomaly for _, anomaly, _ in seen if anomaly["severity"] != "info"]
    assert loud == [], f"false alarms: {[a['message'] for a in loud]}"
    assert all(action is None for _, _, action in seen)


@pytest.mark.parametrize("scenario", faulty_runs(), ids=lambda s: s.name)
def test_faults_are_found_in_time(shared_client, scenario):
    expected, fault_step, delay = FAULTS[scenario.fault]
    run, seen = replay(shared_client, scenario)
    found = [(step, anomaly) for step, anomaly, _ in seen if anomaly["type"] == expected]
    assert found, f"{expected} not found; saw {[a['type'] for _, a, _ in seen]}"
    first_step = found[0][0]
    assert fault_step <= first_step <= fault_step + delay, (first_step, fault_step)
    # Nothing loud before the fault.
    early = [a["message"] for step, a, _ in seen if step < fault_step and a["severity"] != "info"]
    assert early == []
    stored = shared_client.call("run.anomalies", run=run)["anomalies"]
    assert len(stored) == len(seen)


def test_the_handbook_drop_is_high_severity(shared_client):
    run = shared_client.call("run.start", name="handbook")["run_id"]
    for step, recall in [(1000, 0.80), (1500, 0.86), (2000, 0.89)]:
        assert shared_client.call("monitor.log", run=run, step=step, metrics={"val/recall": recall})["anomalies"] == []
    reply = shared_client.call("monitor.log", run=run, step=2049, metrics={"val/recall": 0.74})
    drop = [a for a in reply["anomalies"] if a["type"] == "sudden_drop"][0]
    assert drop["severity"] == "high" and drop["baseline"] == 0.89 and drop["magnitude"] == pytest.approx(0.15)
    assert "0.89" in drop["message"] and "0.74" in drop["message"]


def test_bad_batch_names_the_batch_and_its_images(shared_client):
    scenario = [s for s in faulty_runs() if s.fault == "bad_batch"][0]
    scenario.name = "bad-batch-again"
    _, seen = replay(shared_client, scenario)
    flagged = [a for _, a, _ in seen if a["type"] == "problematic_batch"]
    assert sorted({a["batch"] for a in flagged}) == [12, 13, 14, 15]
    assert flagged[0]["samples"][0].startswith("data/val/img_")
    assert all(a["step"] == 2000 for a in flagged[:4])
