"""Live advice that holds up: one action per incident, nothing about an abandoned attempt, the
new attempt judged against its own lineage, sensible checkpoints, data advice for data faults."""

import math
import time

from runclinic import Monitor


def log_losses(client, run, steps, value=lambda s: 1.0 / (s + 1) + 0.2):
    for step in steps:
        reply = client.call("monitor.log", run=run, step=step, metrics={"train/loss": value(step), "lr": 0.1})
        assert reply["action"] is None, reply


def test_an_infinite_learning_rate_then_a_nan_loss_is_one_incident_with_one_rollback(client):
    run = client.call("run.start", name="lr-inf")["run_id"]
    log_losses(client, run, range(160))
    client.call("monitor.checkpoint", run=run, step=150, path="ck150.pt", metrics={"val/loss": 0.3})
    first = client.call("monitor.log", run=run, step=160, metrics={"train/loss": 0.21, "lr": math.inf})
    second = client.call("monitor.log", run=run, step=161, metrics={"train/loss": math.nan, "lr": math.inf})
    assert first["action"]["kind"] == "rollback" and first["action"]["checkpoint"]["step"] == 150
    assert second["anomalies"] and second["action"] is None
    incident = first["action"]["incident"]
    serious = [a for a in first["anomalies"] + second["anomalies"] if a["severity"] != "info"]
    assert incident and serious and {a.get("incident") for a in serious} == {incident}
    assert [a["kind"] for a in client.call("run.actions", run=run)["actions"]] == ["rollback"]


def test_no_advice_about_the_abandoned_attempt_reaches_the_trainer(client):
    config = {"experiment_monitoring": {"auto_recovery": {"max_rollbacks": 1}}}
    run = client.call("run.start", name="abandoned", config=config)["run_id"]
    log_losses(client, run, range(100))
    client.call("monitor.checkpoint", run=run, step=50, path="ck50.pt", metrics={"val/loss": 0.3})
    assert client.call("monitor.log", run=run, step=100, metrics={"train/loss": math.nan})["action"]["kind"] == "rollback"
    # A fire-and-forget trainer had already sent more of the failing attempt.
    for step in range(101, 140):
        reply = client.call("monitor.log", run=run, step=step, metrics={"train/loss": 0.25 * math.exp((step - 100) / 5)})
        assert reply["action"] is None, reply
    # Back at step 50, the healthy new attempt gets no advice at all.
    log_losses(client, run, range(51, 120), value=lambda s: 0.3 - s / 2000)
    assert [a["kind"] for a in client.call("run.actions", run=run)["actions"]] == ["rollback"]


def test_the_new_attempt_is_judged_against_its_lineage_not_the_abandoned_best(client):
    run = client.call("run.start", name="lineage")["run_id"]
    val = {}
    for step in range(0, 161):
        metrics = {"train/loss": 1.0 / (step + 10)}
        if step % 10 == 0:
            val[step] = 1.0 - step / 200  # val/loss keeps falling: 1.0 ... 0.25
            metrics["val/loss"] = val[step]
        client.call("monitor.log", run=run, step=step, metrics=metrics)
        if step == 50:
            client.call("monitor.checkpoint", run=run, step=50, path="ck50.pt", metrics={"val/loss": val[50]})
    action = client.call("monitor.log", run=run, step=161, metrics={"train/loss": math.nan})["action"]
    assert action["kind"] == "rollback" and action["checkpoint"]["step"] == 50
    # The replay from step 50 falls again, slower: above the abandoned attempt's best (0.2), below its own.
    for step in range(51, 200):
        metrics = {"train/loss": 1.0 / (step + 10)}
        if step % 10 == 0:
            metrics["val/loss"] = 0.75 - (step - 50) / 1000
        reply = client.call("monitor.log", run=run, step=step, metrics=metrics)
        assert not [a for a in reply["anomalies"] if a["type"] in ("overfitting", "sudden_drop")], reply
        assert reply["action"] is None


def test_rollback_picks_the_best_checkpoint_ties_broken_by_loss_then_latest(client):
    run = client.call("run.start", name="ties")["run_id"]
    log_losses(client, run, range(200))
    for step, loss in [(50, 0.20), (100, 0.08), (150, 0.12), (175, 0.08)]:
        client.call("monitor.checkpoint", run=run, step=step, path=f"ck{step}.pt",
                    metrics={"val/accuracy": 1.0, "val/loss": loss})
    action = client.call("monitor.log", run=run, step=200, metrics={"train/loss": math.nan})["action"]
    assert action["kind"] == "rollback" and action["checkpoint"]["path"] == "ck175.pt"


def test_no_plateau_advice_at_a_perfect_score(client):
    config = {"experiment_monitoring": {"anomaly_detection": {"plateau_patience": 3}}}
    run = client.call("run.start", name="perfect", config=config)["run_id"]
    for evaluation in range(30):
        step = (evaluation + 1) * 10
        client.call("monitor.log", run=run, step=step, metrics={"lr": 0.01})
        reply = client.call("monitor.log", run=run, step=step, metrics={"val/accuracy": 0.9 if evaluation < 2 else 1.0})
        assert reply["action"] is None and not reply["anomalies"], reply


def test_a_drop_in_a_few_batches_gets_data_advice_naming_the_images(client):
    run = client.call("run.start", name="bad-batches", config={"experiment_monitoring": {"primary_metric": "val/accuracy"}})["run_id"]
    client.call("monitor.checkpoint", run=run, step=0, path="ck0.pt", metrics={"val/accuracy": 0.5})
    actions = []
    for evaluation in range(12):
        step = evaluation * 50
        bad = evaluation >= 8
        scores = []
        for batch in range(10):
            score = 0.9 + 0.01 * ((batch * 7 + evaluation) % 3)
            if bad and batch in (5, 6):
                score = 0.2
            scores.append(score)
            samples = [f"val/b{batch}_{i}.png" for i in range(4)]
            reply = client.call("monitor.batch", run=run, step=step, batch=batch, metrics={"val/accuracy": score}, samples=samples)
            if reply["action"]:
                actions.append(reply["action"])
        reply = client.call("monitor.log", run=run, step=step, metrics={"val/accuracy": sum(scores) / len(scores)})
        if reply["action"]:
            actions.append(reply["action"])
    assert [a["kind"] for a in actions] == ["inspect_data"], actions
    assert actions[0]["batches"] == [5, 6]
    assert "val/b5_0.png" in actions[0]["samples"] and "val/b6_3.png" in actions[0]["samples"]
    assert "learning rate" not in actions[0]["reason"].split(":")[0]


def test_a_rising_loss_is_said_to_rise(client):
    run = client.call("run.start", name="words")["run_id"]
    for step, loss in [(10, 0.45), (20, 0.42), (30, 0.41), (40, 0.40), (50, 0.41), (60, 0.58)]:
        reply = client.call("monitor.log", run=run, step=step, metrics={"val/loss": loss})
    messages = [a["message"] for a in reply["anomalies"] if a["type"] == "sudden_drop"]
    assert messages and "rose from 0.41 to 0.58" in messages[0], reply


def test_python_hooks_run_once_per_action_even_fire_and_forget(binary, db):
    applied = []
    with Monitor("hooks-once", db=db, binary=binary, wait=False,
                 on_rollback=lambda a: applied.append(a.checkpoint_step)) as mon:
        for step in range(60):
            mon.log(step, {"train/loss": 1.0, "lr": 0.1})
        mon.checkpoint(50, "ck50.pt", metrics={"val/loss": 0.2})
        mon.log(60, {"train/loss": 1.0, "lr": float("inf")})
        mon.log(61, {"train/loss": float("nan"), "lr": float("inf")})
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not applied:
            mon.log(62, {"train/loss": float("nan")}, wait=True)
            time.sleep(0.05)
        time.sleep(0.2)
        mon.client.flush()
        mon._take_alerts()
    assert applied == [50]


def test_a_nan_that_comes_back_at_the_same_step_after_a_rollback_blames_the_data_not_the_rate(client):
    run = client.call("run.start", name="bad-batch")["run_id"]
    log_losses(client, run, range(343))
    client.call("monitor.checkpoint", run=run, step=325, path="ck325.pt", metrics={"val/loss": 0.3})
    first = client.call("monitor.log", run=run, step=343, metrics={"train/loss": math.nan})["action"]
    assert first["kind"] == "rollback"
    # The trainer replays from 325 with a lower rate; the same input batch at 343 overflows again.
    log_losses(client, run, range(326, 343))
    second = client.call("monitor.log", run=run, step=343, metrics={"train/loss": math.nan})["action"]
    assert second["kind"] == "stop" and "training data at step 343" in second["reason"], second


def test_a_frozen_model_is_a_warning_live(client):
    run = client.call("run.start", name="frozen", config={"experiment_monitoring": {"primary_metric": "val/loss"}})["run_id"]
    alarms = []
    for evaluation in range(25):
        step = (evaluation + 1) * 25
        value = 1.0 - 0.05 * min(evaluation, 8)  # learns, then the weights stop changing
        reply = client.call("monitor.log", run=run, step=step, metrics={"val/loss": value})
        alarms += [a for a in reply["anomalies"] if a["type"] == "plateau"]
    assert alarms and alarms[0]["severity"] == "warning" and "not changed at all" in alarms[0]["message"]


def test_the_report_reads_the_lineage_and_draws_the_abandoned_attempt_apart(client, tmp_path):
    run = client.call("run.start", name="report-attempts")["run_id"]
    log_losses(client, run, range(100))
    client.call("monitor.checkpoint", run=run, step=60, path="ck60.pt", metrics={"val/loss": 0.3})
    assert client.call("monitor.log", run=run, step=100, metrics={"train/loss": math.nan})["action"]["kind"] == "rollback"
    log_losses(client, run, range(61, 150), value=lambda s: 0.5 / (s + 1) + 0.2)
    result = client.call("analyze.run", run=run, output_dir=str(tmp_path), formats=["md"])
    # The lineage: steps 0-60 of the first attempt, then the replay; no zigzag back to step 61.
    summary = result["summary"]["performance_metrics"]
    assert summary["final_train/loss"] == 0.5 / 150 + 0.2
    svg = next(tmp_path.glob("*_charts/train_loss.svg")).read_text()
    assert 'class="superseded"' in svg and "attempts abandoned at a rollback" in svg


def test_data_advice_arrives_with_the_aggregate_even_when_the_aggregate_raises_nothing(client):
    run = client.call("run.start", name="one-bad-batch", config={"experiment_monitoring": {"primary_metric": "val/accuracy"}})["run_id"]
    replies = []
    for evaluation in range(10):
        step = evaluation * 50
        scores = []
        for batch in range(16):
            score = 0.9 + 0.005 * ((batch + evaluation) % 3)
            if evaluation >= 7 and batch == 3:
                score = 0.3  # one batch collapses; the whole set moves under the drop threshold
            scores.append(score)
            replies.append(client.call("monitor.batch", run=run, step=step, batch=batch, metrics={"val/accuracy": score},
                                       samples=[f"b{batch}_{i}.png" for i in range(4)]))
        aggregate = client.call("monitor.log", run=run, step=step, metrics={"val/accuracy": sum(scores) / len(scores)})
        replies.append(aggregate)
        if evaluation == 7:
            assert aggregate["action"] and aggregate["action"]["kind"] == "inspect_data", aggregate
            assert aggregate["action"]["batches"] == [3]
    assert [r["action"]["kind"] for r in replies if r["action"]] == ["inspect_data"]
    assert [a["kind"] for a in client.call("run.actions", run=run)["actions"]] == ["inspect_data"]


def test_a_rollback_still_pending_after_a_server_restart_earns_no_more_advice(binary, db):
    from runclinic import Client
    with Client.spawn(db=db, binary=binary) as first:
        run = first.call("run.start", name="restarted")["run_id"]
        log_losses(first, run, range(100))
        first.call("monitor.checkpoint", run=run, step=50, path="ck50.pt", metrics={"val/loss": 0.3})
        assert first.call("monitor.log", run=run, step=100, metrics={"train/loss": math.nan})["action"]["kind"] == "rollback"
    with Client.spawn(db=db, binary=binary) as second:
        # The trainer had more of the failing attempt in flight; then it steps back to 50.
        late = second.call("monitor.log", run=run, step=101, metrics={"train/loss": math.nan})
        assert late["action"] is None, late
        log_losses(second, run, range(51, 120), value=lambda s: 0.3 - s / 2000)
        assert [a["kind"] for a in second.call("run.actions", run=run)["actions"]] == ["rollback"]
