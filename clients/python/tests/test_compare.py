"""compare.runs: runs side by side through the real server and store."""

import json
import random
import re
import subprocess

import pytest

from runclinic import RPCError
from test_schema import check
from test_analyze_run import browser


def log(client, name, config, level, noise=0.004, evaluations=20):
    run = client.call("run.start", name=name, config=config)["run_id"]
    rng = random.Random(name)
    for index in range(evaluations):
        step = (index + 1) * 100
        recall = level * (1 - 0.5 * 0.8 ** index) + rng.gauss(0, noise)
        client.call("monitor.log", run=run, step=step, metrics={"train/loss": 1.0 / (index + 1), "val/recall": recall})
    client.call("run.finish", run=run)
    return name


def test_seeds_are_grouped_and_the_better_learning_rate_is_significant(client):
    names = []
    for lr, level in [(1e-3, 0.90), (1e-2, 0.86)]:
        for seed in range(3):
            names.append(log(client, f"lr{lr}-s{seed}", {"model": "dbnet", "optimizer": {"name": "adam", "lr": lr}, "seed": seed}, level))
    reply = client.call("compare.runs", runs=names)
    check("compare.runs", reply)
    assert reply["metric"] == "val/recall" and reply["mode"] == "max"
    assert [d["key"] for d in reply["config_diff"]] == ["optimizer.lr", "seed"]  # only what differs, dotted
    assert len(reply["groups"]) == 2 and reply["groups"][0]["settings"] == {"optimizer.lr": "0.001"}
    assert sorted(reply["groups"][0]["runs"]) == sorted(names[:3])
    low, high = reply["groups"][0]["interval_95"]
    assert low < reply["groups"][0]["mean"] < high
    assert reply["significance"]["p"] < 0.01 and reply["best"]["significant"] is True
    assert reply["key_differences"][0]["key"] == "optimizer.lr" and reply["key_differences"][0]["share"] > 0.8
    assert reply["recommendations"][0].startswith("Prefer optimizer.lr=0.001")
    outcome = reply["runs"][0]
    assert outcome["best"] >= outcome["final"] - 0.02 and outcome["points"] == 20 and outcome["volatility"] > 0


def test_a_lead_within_noise_is_said_to_be_not_significant(client):
    names = [log(client, f"a{seed}", {"aug": "flip", "seed": seed}, 0.880, noise=0.02) for seed in range(2)]
    names += [log(client, f"b{seed}", {"aug": "crop", "seed": seed}, 0.881, noise=0.02) for seed in range(2)]
    reply = client.call("compare.runs", runs=names, metric="val/recall", mode="max")
    assert reply["best"]["significant"] is False and "not significant" in reply["recommendations"][0]


def test_type_changes_and_missing_keys_are_shown(client):
    names = [log(client, "t1", {"batch_size": 16, "extra": {"warmup": 100}}, 0.9),
             log(client, "t2", {"batch_size": "16"}, 0.9)]
    reply = client.call("compare.runs", runs=names)
    diff = {d["key"]: d for d in reply["config_diff"]}
    assert diff["batch_size"]["type_changed"] is True and diff["batch_size"]["values"] == {"t1": 16, "t2": "16"}
    assert diff["extra.warmup"]["missing_in_some"] is True and diff["extra.warmup"]["values"]["t2"] is None


@pytest.mark.parametrize("params, field", [
    ({"runs": ["only-one"]}, "runs"),
    ({"runs": "r1,r2"}, "runs"),
    ({"runs": ["r1", 2.5]}, "runs[1]"),
    ({"runs": ["r1", "r2"], "metric": "val/nothing"}, "metric"),
    ({"runs": ["r1", "r2"], "mode": "best"}, "mode"),
    ({"runs": ["r1", "r1"]}, "runs"),
])
def test_bad_params_are_named(client, params, field):
    log(client, "r1", {"lr": 1}, 0.9)
    log(client, "r2", {"lr": 2}, 0.8)
    with pytest.raises(RPCError) as error:
        client.call("compare.runs", **params)
    assert error.value.code == -32602 and error.value.data["field"] == field


def test_the_cli_compares_runs(binary, client, db):
    names = [log(client, f"cli{seed}", {"lr": lr, "seed": seed}, level) for seed, (lr, level) in enumerate([(1, 0.9), (2, 0.8)])]
    client.call("shutdown")
    done = subprocess.run([binary, "compare", *names, "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("val/recall (higher is better)") and "CONFIG KEY" in done.stdout and "lr" in done.stdout
    unknown = subprocess.run([binary, "compare", "cli0", "missing-run", "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert unknown.returncode != 0 and "missing-run" in unknown.stderr


def test_reports_overlay_the_curves_and_load_in_a_browser(client, tmp_path):
    names = [log(client, f"rep{seed}", {"optimizer": {"lr": lr}, "seed": seed}, level)
             for seed, (lr, level) in enumerate([(1e-3, 0.9), (1e-3, 0.9), (1e-2, 0.8), (1e-2, 0.8)])]
    out = tmp_path / "cmp"
    reply = client.call("compare.runs", runs=names, output_dir=str(out))
    assert reply["reports"] == {f: str(out / f"comparison_val_recall.{f}") for f in ("md", "html", "json")}
    markdown = (out / "comparison_val_recall.md").read_text()
    assert "![val/recall by step](comparison_val_recall.svg)" in markdown and "| optimizer.lr |" in markdown
    svg = (out / "comparison_val_recall.svg").read_text()
    assert svg.startswith("<svg") and svg.count('class="run"') == 4
    assert json.loads((out / "comparison_val_recall.json").read_text())["metric"] == "val/recall"
    page = out / "comparison_val_recall.html"
    done = subprocess.run([browser(), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                           "--virtual-time-budget=5000", "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and not [line for line in done.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert re.search(r'data-charts="1"', done.stdout) and 'id="config-diff"' in done.stdout
    with pytest.raises(RPCError) as error:
        client.call("compare.runs", runs=names, output_dir=str(out), formats=["pdf"])
    assert error.value.data["field"] == "formats"


def test_hyperparameter_impact_names_what_matters_and_what_it_left_out(binary, client, db):
    rng = random.Random(5)
    for index in range(12):
        lr = [1e-4, 3e-4, 1e-3, 3e-3][index % 4]
        arch = ["resnet", "vit"][index % 2]
        # lr drives the outcome; the architecture barely; vit runs meet anomalies.
        level = 0.80 + 0.03 * [1e-4, 3e-4, 1e-3, 3e-3].index(lr) + rng.gauss(0, 0.003)
        config = {"optimizer": {"lr": lr}, "model": {"arch": arch}, "epochs": 10, "seed": index}
        if index < 6:
            config["warmup"] = 100 if index % 2 else "100"  # mixed types in some runs
        run = client.call("run.start", name=f"hp{index}", project="hp", config=config)["run_id"]
        for step in range(1, 16):
            client.call("monitor.log", run=run, step=step * 10, metrics={"val/recall": level * (1 - 0.5 * 0.7 ** step)})
        if arch == "vit":
            client.call("monitor.log", run=run, step=200, metrics={"train/loss": float("nan")})
        client.call("run.finish", run=run)
    reply = client.call("compare.hyperparameters", project="hp", metric="val/recall")
    check("compare.hyperparameters", reply)
    assert reply["runs"] == 12 and reply["mode"] == "max"
    first = reply["numeric"][0]
    assert first["key"] == "optimizer.lr" and first["spearman"]["r"] > 0.9 and first["spearman"]["p"] < 0.001
    assert set(first) >= {"pearson", "spearman", "spearman_with_drop", "pearson_with_drop"} and first["pearson"]["p"] < 0.01
    arch = next(c for c in reply["categorical"] if c["key"] == "model.arch")
    assert arch["eta_squared"] < 0.3 and {level["value"]: level["anomaly_rate"] for level in arch["levels"]} == {'"vit"': 1.0, '"resnet"': 0.0}
    warmup = next(c for c in reply["categorical"] if c["key"] == "warmup")
    assert warmup["mixed_types"] is True and warmup["runs"] == 6
    assert {"key": "epochs", "reason": "the same value (10) in every run that sets it"} in reply["excluded"]
    assert not any(entry["key"] == "seed" for entry in reply["numeric"] + reply["categorical"])
    assert any(entry["key"] == "seed" and "random seed" in entry["reason"] for entry in reply["excluded"])
    # The ranking (functional ANOVA over a forest): lr first, with most of the outcome's variance.
    assert reply["importance"][0]["key"] == "optimizer.lr" and reply["importance"][0]["share"] > 0.5
    assert 0 <= reply["interaction_share"] <= 1
    few = client.call("compare.hyperparameters", project="hp", metric="val/recall", min_runs=20)
    assert few["numeric"] == [] and "at least 20 are needed" in few["message"]
    with pytest.raises(RPCError) as error:
        client.call("compare.hyperparameters", project="nope", metric="val/recall")
    assert error.value.data["field"] == "project"
    client.call("shutdown")
    done = subprocess.run([binary, "hparams", "--project", "hp", "--metric", "val/recall", "--db", str(db)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "optimizer.lr" in done.stdout and "model.arch: eta²" in done.stdout and "left out epochs" in done.stdout
    assert "IMPORTANCE" in done.stdout and "(interactions)" in done.stdout


def test_runs_with_the_same_best_value_have_no_spread_to_share(client):
    """Shares stay within [0, 1]; where every run reached the same best value (to rounding) no key is
    said to go with a spread that is not there."""
    names = []
    for index, lr in enumerate([1e-4, 3e-4, 1e-3, 3e-3]):
        run = client.call("run.start", name=f"flat{index}", config={"lr": lr, "batch": 32 * (1 + index % 2)})["run_id"]
        for step in range(1, 11):
            # The best, at step 10, is 0.3 or 0.1 * 3 (0.30000000000000004): the same value to anyone.
            value = (0.1 * 3 if index % 2 else 0.3) if step == 10 else 0.025 * step
            client.call("monitor.log", run=run, step=step, metrics={"val/recall": value})
        names.append(f"flat{index}")
    reply = client.call("compare.runs", runs=names)
    check("compare.runs", reply)
    assert reply["key_differences"] == []
    assert not any("spread" in line for line in reply["recommendations"])
    varied = [log(client, f"varied{index}", {"lr": lr}, level) for index, (lr, level) in enumerate([(1e-3, 0.9), (1e-2, 0.8), (1e-1, 0.7)])]
    shares = client.call("compare.runs", runs=varied)["key_differences"]
    assert shares and all(0 <= entry["share"] <= 1 for entry in shares)
