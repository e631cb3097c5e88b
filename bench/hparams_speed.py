"""Hyperparameter impact speed (issue 6): `compare.hyperparameters` over a project of 1,000 runs, in
release mode.

    python bench/hparams_speed.py

The runs (logged once through the Python client, cached in bench/out): 1,000 runs of 50
evaluations of val/recall each, with four hyperparameters (lr and batch size numeric, optimizer
and augmentation categorical) and a seed; the outcome depends on lr and the optimizer.
"""

import math
import os
import pathlib
import random
import shutil
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python"))

from runclinic import Client  # noqa: E402

RUNS, EVALUATIONS = 1_000, 50


def build(db, binary):
    rng = random.Random(11)
    with Client.spawn(db=db, binary=binary) as client:
        for index in range(RUNS):
            lr = 10 ** rng.uniform(-5, -2)
            optimizer = rng.choice(["adam", "sgd", "adamw"])
            config = {"optimizer": {"name": optimizer, "lr": lr}, "batch_size": rng.choice([16, 32, 64]),
                      "augmentation": rng.choice(["none", "flip", "crop"]), "seed": index}
            ceiling = 0.9 - 0.04 * abs(math.log10(lr) + 3.5) - (0.03 if optimizer == "sgd" else 0)
            run = client.call("run.start", name=f"hp{index:04d}", project="sweep", config=config)["run_id"]
            for step in range(1, EVALUATIONS + 1):
                value = 0.5 + (ceiling - 0.5) * (1 - math.exp(-step / 10)) + rng.gauss(0, 0.005)
                client.notify("monitor.log", run=run, step=step * 100, metrics={"val/recall": value})
            client.call("run.finish", run=run)


def main():
    binary = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")
    cached = ROOT / "bench" / "out" / "hparams_sweep.db"
    if not cached.exists():
        cached.parent.mkdir(exist_ok=True)
        started = time.perf_counter()
        build(cached.with_suffix(".tmp.db"), binary)
        os.replace(cached.with_suffix(".tmp.db"), cached)
        print(f"built the runs in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as scratch:
        db = pathlib.Path(scratch) / "runs.db"
        shutil.copy(cached, db)
        with Client.spawn(db=db, binary=binary) as client:
            started = time.perf_counter()
            reply = client.call("compare.hyperparameters", project="sweep", metric="val/recall")
            seconds = time.perf_counter() - started
    numeric = ", ".join(f"{entry['key']} (Spearman {entry['spearman']['r']:.2f})" for entry in reply["numeric"])
    categorical = ", ".join(f"{entry['key']} (eta² {entry['eta_squared']:.2f})" for entry in reply["categorical"])
    importance = ", ".join(f"{entry['key']} {entry['share']:.2f}" for entry in reply["importance"])
    print("| runs | seconds | numeric | categorical | importance (main-effect share) |")
    print("|---|---|---|---|---|")
    print(f"| {reply['runs']:,} | {seconds:.2f} | {numeric} | {categorical} | {importance}; interactions {reply['interaction_share']:.2f} |")


if __name__ == "__main__":
    main()
