"""Hyperparameter importance (issue 6): runclinic's ranking against Optuna's fANOVA evaluator on
synthetic studies whose true importances are known, the same trials given to both.

    python bench/importance_bench.py

Each study draws 200 trials of 4 parameters uniformly (lr log-uniform, a categorical optimizer)
and scores them with a known function plus a little noise; the truth is the order of the terms'
variances (computed from the function, not estimated). A tool passes a study when its top
parameters come in the true order (those with a true share over 5%).
"""

import math
import os
import pathlib
import random
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python"))

import optuna  # noqa: E402
from optuna.distributions import CategoricalDistribution, FloatDistribution  # noqa: E402

from runclinic import Client  # noqa: E402

OPTIMIZERS = ["adam", "sgd", "adamw"]

# name: (outcome(params), {parameter: true main-effect variance}, as the function defines them)
STUDIES = {
    "peaked-lr": (lambda p: 0.9 - 0.04 * (math.log10(p["lr"]) + 3.5) ** 2 + 0.01 * p["dropout"], None),
    "optimizer-and-lr": (lambda p: 0.8 + {"adam": 0.05, "sgd": -0.05, "adamw": 0.0}[p["optimizer"]] + 0.01 * (math.log10(p["lr"]) + 3.5), None),
    "dropout-slope": (lambda p: 0.7 + 0.2 * p["dropout"] + 0.05 * p["warmup"], None),
    "warmup-only": (lambda p: 0.6 + 0.3 * math.sin(3 * p["warmup"]), None),
}


def trials(seed, count=200):
    rng = random.Random(seed)
    for _ in range(count):
        yield {"lr": 10 ** rng.uniform(-5, -2), "dropout": rng.uniform(0, 0.5), "warmup": rng.uniform(0, 1),
               "optimizer": rng.choice(OPTIMIZERS)}


def truth(outcome, seed):
    """Each parameter's main-effect variance, by brute force on the function (no noise)."""
    base = list(trials(seed + 1000, 400))
    shares = {}
    total = [outcome(p) for p in base]
    mean = sum(total) / len(total)
    variance = sum((v - mean) ** 2 for v in total) / len(total)
    for key in ["lr", "dropout", "warmup", "optimizer"]:
        values = [p[key] for p in base[:60]]
        marginal = []
        for value in values:
            marginal.append(sum(outcome({**p, key: value}) for p in base[:120]) / 120)
        m = sum(marginal) / len(marginal)
        shares[key] = (sum((v - m) ** 2 for v in marginal) / len(marginal)) / variance if variance else 0
    return shares


def optuna_order(points, values):
    distributions = {"lr": FloatDistribution(1e-5, 1e-2, log=True), "dropout": FloatDistribution(0, 0.5),
                     "warmup": FloatDistribution(0, 1), "optimizer": CategoricalDistribution(OPTIMIZERS)}
    study = optuna.create_study(direction="maximize")
    for params, value in zip(points, values):
        study.add_trial(optuna.trial.create_trial(params=params, distributions=distributions, value=value))
    importances = optuna.importance.get_param_importances(study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
    return list(importances.items())


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    binary = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")
    rows = []
    with tempfile.TemporaryDirectory() as scratch, Client.spawn(db=pathlib.Path(scratch) / "runs.db", binary=binary) as client:
        for index, (name, (outcome, _)) in enumerate(STUDIES.items()):
            rng = random.Random(index)
            points = list(trials(index))
            values = [outcome(p) + rng.gauss(0, 0.002) for p in points]
            for number, (params, value) in enumerate(zip(points, values)):
                config = {"optimizer": {"name": params["optimizer"], "lr": params["lr"]}, "dropout": params["dropout"], "warmup": params["warmup"]}
                run = client.call("run.start", name=f"{name}-{number}", project=name, config=config)["run_id"]
                client.call("monitor.log", run=run, step=1, metrics={"val/score": value})
                client.call("run.finish", run=run)
            ours = client.call("compare.hyperparameters", project=name, metric="val/score", mode="max")["importance"]
            rename = {"optimizer.lr": "lr", "optimizer.name": "optimizer"}
            ours = [(rename.get(entry["key"], entry["key"]), entry["share"]) for entry in ours]
            theirs = optuna_order(points, values)
            true = sorted(truth(outcome, index).items(), key=lambda item: -item[1])
            expected = [key for key, share in true if share > 0.05]
            ours_top = [key for key, _ in ours[:len(expected)]]
            theirs_top = [key for key, _ in theirs[:len(expected)]]
            rows.append((name, expected, ours_top, theirs_top, ours, theirs))
    print("| study | true order (share > 5%) | runclinic | Optuna fANOVA | runclinic right | Optuna right |")
    print("|---|---|---|---|---|---|")
    for name, expected, ours_top, theirs_top, ours, theirs in rows:
        show = lambda ranking: ", ".join(f"{key} {share:.2f}" for key, share in ranking)
        print(f"| {name} | {', '.join(expected)} | {show(ours)} | {show(theirs)} | {ours_top == expected} | {theirs_top == expected} |")
    print(f"\nsame top parameters in the same order as Optuna: {sum(r[2] == r[3] for r in rows)} of {len(rows)} studies; "
          f"right: runclinic {sum(r[2] == r[1] for r in rows)}, Optuna {sum(r[3] == r[1] for r in rows)} of {len(rows)}")


if __name__ == "__main__":
    main()
