"""Logging speed as a trainer meets it (issue 15): Monitor.log(step, {4 metrics}, wait=False), two
of them validation metrics so that every detector runs, for 250,000 steps, until the run is
finished and stored. Prints points per second for each repeat, and the best.

    RUNCLINIC_BIN=.build/release/runclinic .venv-bench/bin/python bench/logging_speed.py [--steps N] [--repeats R]
"""

import argparse
import math
import os
import pathlib
import random
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python"))

from runclinic import Monitor  # noqa: E402


NOISE = random.Random(15)


def metrics(step):
    # A loss that decays with minibatch noise, a step schedule, and validation metrics that keep
    # improving: a healthy run, so what is measured is the detectors' cost, not alerts'.
    return {"train/loss": (2.0 * math.exp(-step / 50_000) + 0.1) * (1 + 0.05 * NOISE.gauss(0, 1)),
            "lr": 1e-3 if step < 150_000 else 1e-4,
            "val/loss": 1.5 * math.exp(-step / 60_000) + 0.2, "val/accuracy": 0.9 - 0.5 * math.exp(-step / 40_000)}


def measure(steps, binary):
    with tempfile.TemporaryDirectory() as directory:
        db = pathlib.Path(directory) / "speed.db"
        started = time.perf_counter()
        with Monitor("speed", db=db, binary=binary, wait=False) as monitor:
            for step in range(steps):
                monitor.log(step, metrics(step))
            points = monitor.client.call("run.get", run=monitor.run_id)["counts"]["points"]
        elapsed = time.perf_counter() - started  # the with block finishes the run and stops the server
    assert points == 4 * steps, points
    return points / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=250_000)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    binary = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")
    rates = []
    for repeat in range(arguments.repeats):
        rates.append(measure(arguments.steps, binary))
        print(f"repeat {repeat + 1}: {rates[-1]:,.0f} points/s", flush=True)
    print(f"| Monitor.log, {arguments.steps:,} steps x 4 metrics (2 validation), wait=False, until stored | best {max(rates):,.0f} points/s, median {sorted(rates)[len(rates) // 2]:,.0f} |")


if __name__ == "__main__":
    main()
