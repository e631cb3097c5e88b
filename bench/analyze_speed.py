"""Analysis speed (issue 5): `analyze.run` on a run of 1,000,000 metric points and 20,000
validation batch records, in release mode, with its peak memory.

    python bench/analyze_speed.py

The run (logged once through the Python client, fire and forget, cached in bench/out): 250,000
steps of train/loss, lr, grad_norm and train/acc, and every 200 steps 16 validation batches of 8
image paths plus val/recall and val/loss (1,250 evaluations: 20,000 batch records, 1,002,500
points); batches 12-15 hold receipts turned a quarter (real files, copies of
Tests/Fixtures/images) and fall from step 150,000. Then a fresh server analyses it with data_dir
(its 128 images audited on the fly) and writes the reports, timed over the RPC; peak memory is the
server's VmHWM read after the call.
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

STEPS, EVERY, BATCHES = 250_000, 200, 16


def images(folder):
    for batch in range(BATCHES):
        for index in range(8):
            target = folder / f"val/img_{batch * 8 + index:05d}.jpg"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / "Tests" / "Fixtures" / "images" / ("receipt_quarter.jpg" if batch >= 12 else "receipt.jpg"), target)


def build(db, binary):
    rng = random.Random(3)
    batches = [[f"val/img_{b * 8 + i:05d}.jpg" for i in range(8)] for b in range(BATCHES)]
    with Monitor("million", project="speed", config={"model": "m"}, db=db, binary=binary, wait=False) as mon:
        for step in range(1, STEPS + 1):
            loss = 0.3 + 2 * math.exp(-step / 40_000) + rng.gauss(0, 0.02)
            mon.log(step, {"train/loss": loss, "lr": 1e-3, "grad_norm": 1 + rng.random(), "train/acc": 1 - loss / 3})
            if step % EVERY == 0:
                recalls = []
                for index, paths in enumerate(batches):
                    recall = 0.6 + 0.3 * (1 - math.exp(-step / 60_000)) + rng.gauss(0, 0.01)
                    if step >= 150_000 and index >= 12:
                        recall -= 0.5
                    recalls.append(recall)
                    mon.batch(step, index, {"val/recall": recall}, samples=paths)
                mon.log(step, {"val/recall": sum(recalls) / len(recalls), "val/loss": loss * 1.1}, wait=step % 20_000 == 0)


def peak_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main():
    binary = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")
    cached = ROOT / "bench" / "out" / "analyze_million.db"
    if not cached.exists():
        cached.parent.mkdir(exist_ok=True)
        started = time.perf_counter()
        build(cached.with_suffix(".tmp.db"), binary)
        os.replace(cached.with_suffix(".tmp.db"), cached)
        print(f"built the run in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as scratch:
        db = pathlib.Path(scratch) / "runs.db"
        shutil.copy(cached, db)
        data = pathlib.Path(scratch) / "data"
        images(data)
        with Client.spawn(db=db, binary=binary) as client:
            started = time.perf_counter()
            reply = client.call("analyze.run", run="million", data_dir=str(data), output_dir=str(pathlib.Path(scratch) / "reports"))
            seconds = time.perf_counter() - started
            peak = peak_kib(client.process.pid) / 1024
    print("| run | seconds | server peak memory | key finding |")
    print("|---|---|---|---|")
    print(f"| 1,002,500 points, 20,000 batch records | {seconds:.2f} | {peak:.0f} MB | {reply['key_finding']} |")


if __name__ == "__main__":
    main()
