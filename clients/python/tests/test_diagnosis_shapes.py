"""The diagnosis failure shapes found on runs this project did not make, each through the real
binary: data that goes bad or arrives mid-run, slow divergence, minibatch noise, a stalled run."""

import math
import random
import shutil

from images import FIXTURES, glyph, png_array
from test_analyze_run import BATCHES, BATCH_SIZE, dataset, smooth_loss


def minibatch_loss(level, rng):
    """A per-step minibatch loss: log-normal around its level, a hard batch now and then."""
    return level * math.exp(rng.gauss(0, 0.55))


def validate(client, run, step, batches, recall_of):
    recalls = []
    for index, paths in enumerate(batches):
        recall = recall_of(index)
        recalls.append(recall)
        client.call("monitor.batch", run=run, step=step, batch=index, metrics={"val/recall": recall}, samples=paths)
    return client.call("monitor.log", run=run, step=step, metrics={"val/recall": sum(recalls) / len(recalls)})


def train(client, name, batches_at, recall_of, *, steps=1600, every=100, before_validation=None, lr_of=lambda step: 1e-3,
          level_of=lambda step: 0.3 + 2.0 * math.exp(-step / 300)):
    """A run logged as a trainer does: a noisy loss and the lr each step, validation every `every`."""
    run = client.call("run.start", name=name, config={"experiment_monitoring": {"primary_metric": "val/recall"}})["run_id"]
    rng = random.Random(name)
    replies = []
    for step in range(1, steps + 1):
        replies.append(client.call("monitor.log", run=run, step=step,
                                   metrics={"train/loss": minibatch_loss(level_of(step), rng), "lr": lr_of(step)}))
        if step % every == 0:
            if before_validation:
                before_validation(step)
            replies.append(validate(client, run, step, batches_at(step), lambda batch: recall_of(step, batch, rng)))
    client.call("run.finish", run=run)
    return run, replies


def rewrite_at(at, batches, chosen, write):
    """A broken preprocessing step: at step `at` the files of the chosen batches are overwritten
    (write(k, path) for the k-th file of each)."""
    def rewrite(step):
        if step == at:
            for batch in chosen:
                for k, path in enumerate(batches[batch]):
                    write(k, path)
    return rewrite


def test_images_rewritten_in_place_mid_run_are_named_with_their_defect(client, tmp_path):
    data = tmp_path / "data"
    batches = dataset(data)
    # At step 800 the files of batches 5 and 6 are overwritten with turned scans.
    corrupt = rewrite_at(800, batches, (5, 6), lambda k, path: shutil.copy(FIXTURES / "receipt_quarter.jpg", data / path))
    recall = lambda step, batch, rng: (0.25 if step >= 800 and batch in (5, 6) else 0.88) + rng.gauss(0, 0.005)
    run, replies = train(client, "rewritten", lambda step: batches, recall, before_validation=corrupt)
    actions = [r["action"] for r in replies if r["action"]]
    assert [a["kind"] for a in actions] == ["inspect_data"] and actions[0]["batches"] == [5, 6]
    result = client.call("analyze.run", run=run, data_dir=str(data))
    primary = result["primary"]
    assert primary["incident"]["step"] == 800, result["key_finding"]
    top = primary["hypothesis"]
    assert top["cause"] == "data_quality" and top["defect"] == "rotated" and top["batches"] == [5, 6], top
    assert any("rewritten" in line for line in top["evidence"])


def test_new_defective_images_arriving_in_many_batches_are_data_quality(client, tmp_path):
    data = tmp_path / "data"
    batches = dataset(data)
    arrived = set(range(4, 13))  # 9 of 16 batches: too many for "a few batches"
    later = [[path.replace("receipt_", "new_receipt_") for path in paths] if index in arrived else paths
             for index, paths in enumerate(batches)]
    for index in arrived:
        for path in later[index]:
            shutil.copy(FIXTURES / "receipt_quarter.jpg", data / path)
    recall = lambda step, batch, rng: (0.7 if step >= 900 and batch in arrived else 0.88) + rng.gauss(0, 0.005)
    run, _ = train(client, "arrived-bad", lambda step: later if step >= 900 else batches, recall)
    top = client.call("analyze.run", run=run, data_dir=str(data))["primary"]["hypothesis"]
    assert top["cause"] == "data_quality" and top["defect"] == "rotated", top
    assert set(top["batches"]) == arrived


def test_other_undamaged_images_arriving_are_a_data_change(client, tmp_path):
    data = tmp_path / "data"
    batches = dataset(data)
    arrived = {2, 9, 10}
    later = [[path.replace("receipt_", "shard2_") for path in paths] if index in arrived else paths
             for index, paths in enumerate(batches)]
    for index in arrived:
        for path in later[index]:
            shutil.copy(FIXTURES / "receipt_tilted.jpg" if "3" in path else FIXTURES / "receipt.jpg", data / path)
    recall = lambda step, batch, rng: (0.55 if step >= 900 and batch in arrived else 0.88) + rng.gauss(0, 0.005)
    run, _ = train(client, "arrived-other", lambda step: later if step >= 900 else batches, recall)
    result = client.call("analyze.run", run=run, data_dir=str(data))
    top = result["primary"]["hypothesis"]
    assert result["primary"]["incident"]["step"] == 900
    assert top["cause"] in ("data_change", "data_quality") and set(top["batches"]) <= arrived, top
    if top["cause"] == "data_quality":  # only if the audit finds a defect in the new images
        assert top["defect"]


def test_a_slow_divergence_is_flagged_within_200_steps_and_named(client, tmp_path):
    batches = dataset(tmp_path / "data")
    start = 700
    base = lambda step: 0.3 + 2.0 * math.exp(-step / 300)
    # The loss leaves its falling trend at step 700 and rises linearly, doubling in 250 steps.
    level = lambda step: base(step) if step < start else base(start) * (1 + (step - start) / 250)
    recall = lambda step, batch, rng: (0.88 if step < start + 200 else 0.88 - (step - start - 200) / 2000) + rng.gauss(0, 0.005)
    run, replies = train(client, "slow-divergence", lambda step: batches, recall, steps=1600, level_of=level)
    flagged = [a["step"] for r in replies for a in r["anomalies"] if a["type"] == "divergence"]
    assert flagged and start < flagged[0] <= start + 200, flagged[:3]
    result = client.call("analyze.run", run=run)
    assert result["primary"]["hypothesis"]["cause"] in ("divergence", "learning_rate"), result["key_finding"]


def test_minibatch_noise_raises_no_serious_alarm_and_no_invented_cause(client, tmp_path):
    batches = dataset(tmp_path / "data")
    recall = lambda step, batch, rng: 0.6 + 0.28 * (1 - math.exp(-step / 400)) + rng.gauss(0, 0.01)
    run, replies = train(client, "clean-noisy", lambda step: batches, recall, steps=3000)
    serious = [a for r in replies for a in r["anomalies"] if a["severity"] in ("high", "critical")]
    assert serious == []
    assert [r["action"] for r in replies if r["action"]] == []
    result = client.call("analyze.run", run=run)
    assert result["primary"] is None or result["primary"]["hypothesis"]["cause"] == "unexplained", result["key_finding"]


def test_a_stalled_run_is_a_plateau_not_divergence(client, tmp_path):
    batches = dataset(tmp_path / "data")
    stall = 600
    recall = lambda step, batch, rng: 0.6 + 0.28 * (1 - math.exp(-min(step, stall) / 400)) + (rng.gauss(0, 0.01) if step < stall else 0)
    level = lambda step: 0.3 + 2.0 * math.exp(-min(step, stall) / 300)
    run, _ = train(client, "stalled", lambda step: batches, recall, steps=2000, level_of=level,
                   lr_of=lambda step: 1e-3 if step < stall else 0.0)
    result = client.call("analyze.run", run=run)
    assert result["primary"]["incident"]["kind"] == "plateau", result["key_finding"]
    assert result["primary"]["hypothesis"]["cause"] in ("plateau", "learning_rate")


def test_training_curves_change_points_are_regimes_not_bends_or_spikes(client):
    rng = random.Random(5)
    decay = [0.3 + 2.0 * math.exp(-i / 300) + rng.gauss(0, 0.01) for i in range(2000)]
    spiky = list(decay)
    spiky[1200] += 3.0
    stepped = [v - (0.2 if i >= 1000 else 0) for i, v in enumerate(decay)]
    nan_tail = decay[:1500] + [math.nan] * 500
    run = client.call("run.start", name="curves")["run_id"]
    for i in range(2000):
        client.call("monitor.log", run=run, step=i, metrics={"a/loss": decay[i], "b/loss": spiky[i], "c/loss": stepped[i], "d/loss": nan_tail[i]})
    points = client.call("analyze.run", run=run)["change_points"]
    by_metric = {name: [p["step"] for p in points if p["metric"] == name and "batch" not in p] for name in ("a/loss", "b/loss", "c/loss", "d/loss")}
    assert by_metric["a/loss"] == [] and by_metric["b/loss"] == []
    assert len(by_metric["c/loss"]) == 1 and abs(by_metric["c/loss"][0] - 1000) <= 5
    assert 1500 in by_metric["d/loss"]


def test_a_validation_set_that_changes_without_a_drop_is_still_said(client, tmp_path):
    data = tmp_path / "data"
    batches = dataset(data)
    later = [[path.replace("receipt_", "other_") for path in paths] if index in (1, 7) else paths
             for index, paths in enumerate(batches)]
    for index in (1, 7):
        for path in later[index]:
            shutil.copy(FIXTURES / "receipt.jpg", data / path)
    recall = lambda step, batch, rng: 0.6 + 0.28 * (1 - math.exp(-step / 400)) + rng.gauss(0, 0.005)
    run, _ = train(client, "swapped", lambda step: later if step >= 1000 else batches, recall)
    result = client.call("analyze.run", run=run, data_dir=str(data))
    primary = result["primary"]
    assert primary["incident"]["kind"] == "data_change" and primary["incident"]["step"] == 1000, result["key_finding"]
    assert primary["hypothesis"]["cause"] == "data_change" and primary["hypothesis"]["batches"] == [1, 7]
    assert any("Pin the validation set" in line for line in result["summary"]["recommendations"])


def glyph_dataset(folder, batches=10, size=8):
    """Hand-drawn glyphs (no text lines) in fixed validation batches."""
    names = []
    for batch in range(batches):
        paths = [f"val/glyph_{batch * size + index:04d}.png" for index in range(size)]
        for path in paths:
            (folder / path).parent.mkdir(parents=True, exist_ok=True)
            png_array(folder / path, glyph(int(path[-8:-4])))
        names.append(paths)
    return names


def test_glyphs_turned_in_place_are_named_rotated_though_the_audit_reads_no_text(client, tmp_path):
    data = tmp_path / "data"
    batches = glyph_dataset(data)
    turn = rewrite_at(800, batches, (3, 7), lambda k, path: png_array(data / path, glyph(int(path[-8:-4]), turn=(90, 180, 270)[k % 3])))
    recall = lambda step, batch, rng: (0.4 if step >= 800 and batch in (3, 7) else 0.9) + rng.gauss(0, 0.005)
    run, _ = train(client, "glyphs-turned", lambda step: batches, recall, before_validation=turn)
    result = client.call("analyze.run", run=run, data_dir=str(data))
    top = result["primary"]["hypothesis"]
    assert top["cause"] == "data_quality" and top["defect"] == "rotated" and top["batches"] == [3, 7], result["key_finding"]
    assert any("match the run's other images" in line for line in top["evidence"])


def test_tilted_glyphs_arriving_are_skewed_but_a_slanting_hand_is_a_data_change(client, tmp_path):
    data = tmp_path / "data"
    batches = glyph_dataset(data)
    def arriving(prefix, **pose):
        later = [[path.replace("glyph_", prefix) for path in paths] if index in (2, 5, 8) else paths
                 for index, paths in enumerate(batches)]
        for index in (2, 5, 8):
            for k, path in enumerate(later[index]):
                sign = 1 if k % 2 else -1
                png_array(data / path, glyph(int(path[-8:-4]), **{key: sign * value for key, value in pose.items()}))
        return later
    recall = lambda step, batch, rng: (0.55 if step >= 900 and batch in (2, 5, 8) else 0.9) + rng.gauss(0, 0.005)
    tilted = arriving("tilted_", turn=22)
    run, _ = train(client, "glyphs-tilted", lambda step: tilted if step >= 900 else batches, recall)
    top = client.call("analyze.run", run=run, data_dir=str(data))["primary"]["hypothesis"]
    assert top["cause"] == "data_quality" and top["defect"] == "skewed" and top["batches"] == [2, 5, 8], top
    slanted = arriving("slanted_", shear=0.3)
    run, _ = train(client, "glyphs-slanted", lambda step: slanted if step >= 900 else batches, recall)
    top = client.call("analyze.run", run=run, data_dir=str(data))["primary"]["hypothesis"]
    assert top["cause"] == "data_change" and top["batches"] == [2, 5, 8], top


def test_a_memorised_training_set_is_overfitting_though_the_validation_loss_barely_moves(client):
    """Training on a few dozen examples: the training loss falls to a thousandth while the
    validation loss stalls at its best and creeps up by 1%, the accuracy flat."""
    run = client.call("run.start", name="memorised", config={"experiment_monitoring": {"primary_metric": "val/accuracy"}})["run_id"]
    rng = random.Random(4)
    replies = []
    for step in range(1, 1101):
        train_loss = 0.4 * math.exp(-step / 60) + 0.002 + 0.004 * math.exp(-step / 400)
        replies.append(client.call("monitor.log", run=run, step=step, metrics={"train/loss": train_loss * math.exp(rng.gauss(0, 0.3)), "lr": 0.08}))
        if step % 25 == 0:
            val_loss = 1.2 + 0.4 * math.exp(-step / 80) + (0.00003 * (step - 400) if step > 400 else 0)
            replies.append(client.call("monitor.log", run=run, step=step,
                                       metrics={"val/loss": val_loss + rng.gauss(0, 0.0003), "val/accuracy": 0.62 + rng.gauss(0, 0.003)}))
    client.call("run.finish", run=run)
    warned = [a for r in replies for a in r["anomalies"] if a["type"] == "overfitting" and a["severity"] != "info"]
    assert warned and 400 < warned[0]["step"] <= 750, warned[:1]
    result = client.call("analyze.run", run=run)
    assert result["primary"]["hypothesis"]["cause"] == "overfitting", result["key_finding"]
