"""The store behind the API, SQLite against PostgreSQL, side by side in one run (issue 19):

1. one trainer's fire-and-forget logging: Monitor.log(step, {4 metrics}, wait=False) for N steps,
   until the run is finished and stored (points per second);
2. acknowledged logging: monitor.log as a request, 4 metrics, one call at a time (p50, p99);
3. 8 trainers at once, each with its own `runclinic serve` on the one store, fire-and-forget
   (total points per second, from the first start to the last run stored).

PostgreSQL runs in a throw-away cluster on this machine (Debian's, default settings: every commit
flushed), reached over its Unix socket and over TCP loopback; SQLite is a file in /tmp.

    RUNCLINIC_BIN=.build/release/runclinic .venv/bin/python bench/store_speed.py [--steps N]
"""

import argparse
import math
import os
import pathlib
import signal
import statistics
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python"))
sys.path.insert(0, str(ROOT / "clients" / "python" / "tests"))

from postgresql_cluster import ThrowawayCluster  # noqa: E402
from runclinic import Client, Monitor  # noqa: E402


def metrics(step):
    return {"train/loss": 2.0 * math.exp(-step / 50_000) + 0.1, "lr": 1e-3,
            "val/loss": 1.5 * math.exp(-step / 60_000) + 0.2, "val/accuracy": 0.9 - 0.5 * math.exp(-step / 40_000)}


def fire_and_forget(store, binary, steps, name="speed"):
    started = time.perf_counter()
    with Monitor(name, db=store, binary=binary, wait=False) as monitor:
        for step in range(steps):
            monitor.log(step, metrics(step))
        points = monitor.client.call("run.get", run=monitor.run_id)["counts"]["points"]
    elapsed = time.perf_counter() - started
    assert points == 4 * steps, points
    return points, elapsed


def acknowledged(store, binary, calls):
    latencies = []
    with Client.spawn(db=store, binary=binary) as client:
        run = client.call("run.start", name="sync")["run_id"]
        for step in range(calls):
            started = time.perf_counter()
            client.call("monitor.log", run=run, step=step, metrics=metrics(step))
            latencies.append(time.perf_counter() - started)
    latencies.sort()
    return latencies[len(latencies) // 2] * 1000, latencies[int(len(latencies) * 0.99)] * 1000


def many_trainers(store, binary, trainers, steps):
    results = [None] * trainers
    started = time.perf_counter()

    def train(index):
        results[index] = fire_and_forget(store, binary, steps, name=f"trainer-{index}")

    threads = [threading.Thread(target=train, args=(index,)) for index in range(trainers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return sum(points for points, _ in results) / elapsed


def trusted_tcp(cluster):
    """A new database over TCP on loopback, as a trainer role with a password."""
    database = cluster.create_database()
    cluster.psql(f'ALTER DATABASE "{database}" OWNER TO bench')
    return cluster.url(database, user="bench", password="bench-pw", tcp=True) + "?sslmode=disable"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--trainer-steps", type=int, default=25_000)
    parser.add_argument("--repeats", type=int, default=5)
    arguments = parser.parse_args()
    binary = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")
    # Stopped by a signal, the cluster is still stopped (a stray server would skew the next run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    cluster = ThrowawayCluster().start()
    cluster.psql("CREATE ROLE bench LOGIN PASSWORD 'bench-pw'")
    labels = ["SQLite (file)", "PostgreSQL (Unix socket)", "PostgreSQL (TCP loopback)"]
    rates = {label: [] for label in labels}
    p50s = {label: [] for label in labels}
    p99s = {label: [] for label in labels}
    together = {}
    try:
        with tempfile.TemporaryDirectory() as directory:
            def store(label):
                if label == labels[0]:
                    return str(pathlib.Path(directory) / f"bench-{time.monotonic_ns()}.db")
                if label == labels[1]:
                    return cluster.url(cluster.create_database())
                return trusted_tcp(cluster)

            # The stores take turns within each round, so that a slower spell of the machine
            # falls on all of them alike; the shares are of the same round's SQLite figure.
            for _ in range(arguments.repeats):
                for label in labels:
                    points, elapsed = fire_and_forget(store(label), binary, arguments.steps)
                    rates[label].append(points / elapsed)
                for label in labels:
                    p50, p99 = acknowledged(store(label), binary, arguments.calls)
                    p50s[label].append(p50)
                    p99s[label].append(p99)
            for label in labels:
                together[label] = many_trainers(store(label), binary, 8, arguments.trainer_steps)
    finally:
        cluster.stop()
    print("| store | one trainer, fire-and-forget (median of %d) | share of SQLite's (median, lowest) "
          "| acknowledged log p50 / p99 | 8 trainers at once, total |" % arguments.repeats)
    print("|---|---|---|---|---|")
    for label in labels:
        shares = [rate / base for rate, base in zip(rates[label], rates[labels[0]])]
        print(f"| {label} | {statistics.median(rates[label]):,.0f} points/s (best {max(rates[label]):,.0f}) "
              f"| {statistics.median(shares):.0%}, {min(shares):.0%} "
              f"| {statistics.median(p50s[label]):.2f} / {statistics.median(p99s[label]):.2f} ms "
              f"| {together[label]:,.0f} points/s |")


if __name__ == "__main__":
    main()
