"""Recovery advice: rollback to the best checkpoint, LR cuts on plateaus, stops when recovery is spent."""

import math

import pytest

from runclinic import Client, Monitor


def losses(client, run, steps, start=0, value=lambda s: 1.0 / (s + 1) + 0.2):
    for step in range(start, start + steps):
        reply = client.call("monitor.log", run=run, step=step, metrics={"train/loss": value(step)})
        assert reply["action"] is None, reply
    return start + steps


def test_nan_rolls_back_to_the_best_checkpoint_then_replays(client):
    run = client.call("run.start", name="nan")["run_id"]
    step = losses(client, run, 100)
    for ckpt_step, val in [(40, 0.5), (80, 0.3), (99, 0.4)]:
        client.call("monitor.checkpoint", run=run, step=ckpt_step, path=f"ck{ckpt_step}.pt", metrics={"val/loss": val})
    reply = client.call("monitor.log", run=run, step=step, metrics={"train/loss": math.nan})
    assert [a["type"] for a in reply["anomalies"]] == ["non_finite"]
    action = reply["action"]
    assert action["kind"] == "rollback" and action["checkpoint"]["path"] == "ck80.pt" and action["lr_factor"] == 0.5
    assert action["trigger"] == "non_finite" and action["rollbacks"] == 1
    # The trainer restores step 80 and goes on: replayed steps are accepted once.
    losses(client, run, 30, start=81)
    assert client.call("run.get", run=run)["last_step"] == 110
    assert client.call("run.actions", run=run)["actions"][0]["kind"] == "rollback"
    # The run's history is its lineage: steps 0-80, then the replay; the abandoned steps apart.
    series = client.call("run.metrics", run=run, keys=["train/loss"])["series"]["train/loss"]
    assert series["steps"] == list(range(0, 81)) + list(range(81, 111))
    abandoned = client.call("run.metrics", run=run, keys=["train/loss"], attempts="superseded")["series"]["train/loss"]
    assert abandoned["steps"] == list(range(81, 101))


def test_nan_without_checkpoint_stops(client):
    run = client.call("run.start", name="nan-no-ckpt")["run_id"]
    step = losses(client, run, 50)
    action = client.call("monitor.log", run=run, step=step, metrics={"train/loss": math.inf})["action"]
    assert action["kind"] == "stop" and "no checkpoint" in action["reason"]


def test_severe_drop_without_checkpoint_says_so(client):
    run = client.call("run.start", name="drop-no-ckpt")["run_id"]
    for step, recall in [(100, 0.85), (200, 0.89)]:
        client.call("monitor.log", run=run, step=step, metrics={"val/recall": recall})
    action = client.call("monitor.log", run=run, step=300, metrics={"val/recall": 0.70})["action"]
    assert action["kind"] == "rollback" and action["checkpoint"] is None and "no checkpoint" in action["reason"]


def test_rollbacks_run_out_then_stop(client):
    config = {"experiment_monitoring": {"auto_recovery": {"max_rollbacks": 2}}}
    run = client.call("run.start", name="spent", config=config)["run_id"]
    step = losses(client, run, 60)
    client.call("monitor.checkpoint", run=run, step=50, path="ck50.pt")
    kinds = []
    for attempt in range(3):
        action = client.call("monitor.log", run=run, step=step, metrics={"train/loss": math.nan})["action"]
        kinds.append(action["kind"])
        if action["kind"] == "stop":
            break
        # The trainer restores step 50 and replays, finite again (which ends the condition).
        step = losses(client, run, 10, start=51)
    assert kinds == ["rollback", "rollback", "stop"]
    assert "max_rollbacks (2)" in client.call("run.actions", run=run)["actions"][-1]["reason"]


def test_divergence_that_rollbacks_do_not_cure_stops(client):
    config = {"experiment_monitoring": {"auto_recovery": {"max_rollbacks": 1}}}
    run = client.call("run.start", name="diverge", config=config)["run_id"]
    step = losses(client, run, 200)
    client.call("monitor.checkpoint", run=run, step=150, path="ck150.pt")
    actions = []
    for round_ in range(2):
        for offset in range(200):
            reply = client.call("monitor.log", run=run, step=step + offset,
                                metrics={"train/loss": 0.25 * math.exp(offset / 15)})
            if reply["action"]:
                actions.append(reply["action"])
                break
        if actions and actions[-1]["kind"] == "stop":
            break
        step = losses(client, run, 60, start=151)
    assert [a["kind"] for a in actions] == ["rollback", "stop"]
    assert actions[0]["trigger"] == "divergence" and "1 rollbacks did not cure it" in actions[1]["reason"]


def test_plateau_cuts_the_learning_rate_with_cooldown_and_floor(client):
    config = {"experiment_monitoring": {"anomaly_detection": {"plateau_patience": 3}, "auto_recovery": {"cooldown": 2, "min_lr": 0.0002}}}
    run = client.call("run.start", name="plateau", config=config)["run_id"]
    lr = 0.001
    cuts = []
    for evaluation in range(40):
        step = (evaluation + 1) * 100
        client.call("monitor.log", run=run, step=step, metrics={"lr": lr})
        reply = client.call("monitor.log", run=run, step=step, metrics={"val/acc": 0.8 if evaluation else 0.7})
        if reply["action"]:
            assert reply["action"]["kind"] == "reduce_lr" and reply["action"]["lr_factor"] == 0.5
            cuts.append(evaluation)
            lr *= 0.5
    # 0.001 -> 0.0005 -> 0.00025; a third cut would go under min_lr.
    assert len(cuts) == 2
    assert cuts[1] - cuts[0] >= 3 + 2
    plateau = [a for a in client.call("run.anomalies", run=run)["anomalies"] if a["type"] == "plateau"]
    # The same value at every evaluation: not merely slow, the model is not changing (a warning).
    assert plateau and plateau[0]["severity"] == "warning" and "not changed at all" in plateau[0]["message"]


def test_a_cut_the_trainer_did_not_apply_is_not_advised_again(client):
    """The run logs its learning rate: while it has not gone down since the last cut was advised,
    the trainer is ignoring the advice, and repeating it every few evaluations would only flood."""
    config = {"experiment_monitoring": {"anomaly_detection": {"plateau_patience": 3}, "auto_recovery": {"cooldown": 2}}}
    run = client.call("run.start", name="ignored-cuts", config=config)["run_id"]
    cuts = []
    lr = 0.001
    for evaluation in range(60):
        step = (evaluation + 1) * 100
        if evaluation == 40:
            lr = 0.0005  # the trainer applies the cut at last: the next plateau may get another
        client.call("monitor.log", run=run, step=step, metrics={"lr": lr})
        reply = client.call("monitor.log", run=run, step=step, metrics={"val/acc": 0.8 + 1e-6 * (evaluation % 2)})
        if reply["action"]:
            assert reply["action"]["kind"] == "reduce_lr"
            cuts.append(evaluation)
    assert len(cuts) == 2 and cuts[0] < 10 and cuts[1] >= 40, cuts


def test_disabled_recovery_and_strategies(client):
    off = {"experiment_monitoring": {"auto_recovery": {"enable": False}}}
    run = client.call("run.start", name="off", config=off)["run_id"]
    step = losses(client, run, 20)
    client.call("monitor.checkpoint", run=run, step=10, path="c.pt")
    reply = client.call("monitor.log", run=run, step=step, metrics={"train/loss": math.nan})
    assert reply["anomalies"] and reply["action"] is None
    only_lr = {"experiment_monitoring": {"auto_recovery": {"strategies": ["adjust_lr_on_plateau"]}}}
    run = client.call("run.start", name="only-lr", config=only_lr)["run_id"]
    step = losses(client, run, 20)
    client.call("monitor.checkpoint", run=run, step=10, path="c.pt")
    assert client.call("monitor.log", run=run, step=step, metrics={"train/loss": math.nan})["action"] is None


def test_python_hooks_apply_the_advice(binary, db):
    applied = []
    with Monitor("hooks", db=db, binary=binary, on_rollback=lambda a: applied.append(("rollback", a.checkpoint_path)),
                 on_stop=lambda a: applied.append(("stop", a.reason))) as mon:
        for step in range(30):
            mon.log(step, {"train/loss": 1.0})
        mon.checkpoint(20, "best.pt", metrics={"val/loss": 0.1})
        action = mon.log(30, {"train/loss": float("nan")})
        assert action.kind == "rollback" and action.checkpoint_path == "best.pt" and action.checkpoint_step == 20
        assert action.lr_factor == 0.5
    assert applied == [("rollback", "best.pt")]


def test_fire_and_forget_calls_get_their_alerts(binary, db):
    with Monitor("ff-alerts", db=db, binary=binary, wait=False) as mon:
        for step in range(50):
            mon.log(step, {"train/loss": 1.0})
        mon.checkpoint(40, "c40.pt", metrics={"val/loss": 0.1})
        assert mon.log(50, {"train/loss": float("nan")}) is None  # not waiting: no verdict yet
        action = None
        for step in range(51, 200):
            action = action or mon.log(step, {"train/loss": 1.0})
            if action:
                break
            import time
            time.sleep(0.005)
        assert action is not None and action.kind == "rollback" and action.checkpoint_path == "c40.pt"
        assert mon.alerts[0]["anomalies"][0]["type"] == "non_finite"
