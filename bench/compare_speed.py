"""Comparison speed (issue 6): `compare.runs` on 20 runs of 100,000 metric points each (25,000
steps x train/loss, lr, val/recall, val/loss), in release mode, reports included.

    python bench/compare_speed.py

The runs (logged once through the Python client, cached in bench/out): 10 settings x 2 seeds.
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

from runclinic import Client, Monitor  # noqa: E402

RUNS, STEPS = 20, 25_000


def build(db, binary):
    for index in range(RUNS):
        lr, seed = 10 ** (-4 + (index // 2) * 0.25), index % 2
        rng = random.Random(index)
        ceiling = 0.9 - abs(math.log10(lr) + 3) * 0.05
        with Monitor(f"run{index:02d}", project="speed", config={"optimizer": {"lr": lr}, "seed": seed}, db=db, binary=binary,
                     wait=False) as mon:
            for step in range(1, STEPS + 1):
                progress = 1 - math.exp(-step / 6_000)
                mon.log(step, {"train/loss": 2 * (1 - progress) + 0.2 + rng.gauss(0, 0.02), "lr": lr,
                               "val/recall": 0.5 + (ceiling - 0.5) * progress + rng.gauss(0, 0.01),
                               "val/loss": 2.2 * (1 - progress) + 0.25 + rng.gauss(0, 0.02)})


def main():
    binary = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")
    cached = ROOT / "bench" / "out" / "compare_runs.db"
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
            names = [f"run{index:02d}" for index in range(RUNS)]
            started = time.perf_counter()
            reply = client.call("compare.runs", runs=names, output_dir=str(pathlib.Path(scratch) / "reports"))
            seconds = time.perf_counter() - started
    print("| runs | points per run | seconds (reports included) | best | advice |")
    print("|---|---|---|---|---|")
    print(f"| {RUNS} | {STEPS * 4:,} | {seconds:.2f} | {', '.join(reply['best']['runs'])} | {reply['recommendations'][0]} |")


if __name__ == "__main__":
    main()
