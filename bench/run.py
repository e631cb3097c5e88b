"""`make bench`: runclinic's logging path measured side by side with what users pick today.

Python -> Monitor -> stdio -> server -> SQLite, 4 metrics per step. Every figure is measured
until the data is on disk. Results go to stdout and bench/out/results.json.
"""

import argparse
import json
import math
import os
import pathlib
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python"))

from runclinic import Client, Monitor  # noqa: E402
from runclinic.reader import SpinReader  # noqa: E402

METRICS = 4


def metrics_for(step):
    return {"train/loss": 1.0 / (step + 1), "train/acc": step * 1e-6, "lr": 0.001, "grad_norm": 0.5}


def binary():
    return os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def fire_and_forget(workdir, calls, server_args=()):
    db = workdir / f"ff{len(server_args)}.db"
    client = Client.spawn(db=db, binary=binary(), args=list(server_args)) if server_args else None
    with Monitor("ff", db=db, binary=binary(), client=client, wait=False) as mon:
        start = time.perf_counter()
        for step in range(calls):
            mon.log(step, metrics_for(step))
        points = mon.client.call("run.get", run=mon.run_id)["counts"]["points"]  # reads commit first
        elapsed = time.perf_counter() - start
    if client is not None:
        client.close()
    assert points == calls * METRICS, (points, calls * METRICS)
    return {"calls": calls, "seconds": elapsed, "calls_per_s": calls / elapsed, "points_per_s": points / elapsed}


def synchronous(workdir, calls, server_args=()):
    db = workdir / f"sync{len(server_args)}.db"
    latencies = []
    client = Client.spawn(db=db, binary=binary(), args=list(server_args)) if server_args else None
    with Monitor("sync", db=db, binary=binary(), client=client, wait=True) as mon:
        for step in range(calls):
            metrics = metrics_for(step)
            started = time.perf_counter()
            mon.log(step, metrics)
            latencies.append(time.perf_counter() - started)
    if client is not None:
        client.close()
    latencies.sort()
    return {"calls": calls, "median_us": statistics.median(latencies) * 1e6,
            "p99_us": latencies[int(len(latencies) * 0.99)] * 1e6, "max_us": latencies[-1] * 1e6}


def memory(workdir, points):
    db = workdir / "memory.db"
    calls = points // METRICS
    samples = []
    with Monitor("memory", db=db, binary=binary(), wait=False) as mon:
        pid = mon.client.process.pid
        done = threading.Event()

        def sample():
            while not done.is_set():
                samples.append(rss_kib(pid))
                time.sleep(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        for step in range(calls):
            mon.log(step, metrics_for(step))
        stored = mon.client.call("run.get", run=mon.run_id)["counts"]["points"]
        done.set()
        sampler.join()
    assert stored == points
    quarter = max(1, len(samples) // 4)
    return {"points": stored, "max_rss_mb": max(samples) / 1024, "rss_after_first_quarter_mb": samples[quarter] / 1024,
            "rss_at_end_mb": samples[-1] / 1024}


def startup(workdir, runs):
    db = workdir / "startup.db"
    times = []
    request = b'{"jsonrpc":"2.0","id":1,"method":"initialize"}\n'
    for _ in range(runs):
        started = time.perf_counter()
        process = subprocess.Popen([binary(), "serve", "--db", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        process.stdin.write(request)
        process.stdin.flush()
        process.stdout.readline()
        times.append(time.perf_counter() - started)
        process.stdin.close()
        process.wait()
        process.stdout.close()
    return {"runs": runs, "median_ms": statistics.median(times) * 1e3, "max_ms": max(times) * 1e3}


def jsonl_floor(workdir, calls):
    path = workdir / "floor.jsonl"
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    start = time.perf_counter()
    with open(path, "w") as file:
        for step in range(calls):
            file.write(dumps({"step": step, "metrics": metrics_for(step)}) + "\n")
        file.flush()
        os.fsync(file.fileno())
    elapsed = time.perf_counter() - start
    return {"calls": calls, "points_per_s": calls * METRICS / elapsed}


def naive_server(workdir, calls):
    db = workdir / "naive.db"
    process = subprocess.Popen([sys.executable, str(ROOT / "bench" / "peers" / "naive_server.py"), str(db)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    client = Client(SpinReader.for_pipe(process.stdout), lambda data: (process.stdin.write(data), process.stdin.flush()), process=None)
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    start = time.perf_counter()
    for step in range(calls):
        client.send_raw(('{"jsonrpc":"2.0","method":"monitor.log","params":{"run":1,"step":%d,"metrics":%s}}\n'
                         % (step, dumps(metrics_for(step)))).encode())
    points = client.call("count")["points"]
    elapsed = time.perf_counter() - start
    process.stdin.close()
    process.wait()
    assert points == calls * METRICS
    return {"calls": calls, "points_per_s": points / elapsed}


def peer_python():
    """The interpreter of the bench venv that has the peers installed, if any."""
    candidate = ROOT / ".venv-bench" / "bin" / "python"
    return str(candidate) if candidate.exists() else None


PEER_SCRIPTS = {
    "wandb offline": """
import os, sys, time
os.environ.update(WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DIR=sys.argv[1], WANDB_CONSOLE="off")
import wandb
steps = int(sys.argv[2])
start = time.perf_counter()
run = wandb.init(project="bench", dir=sys.argv[1], settings=wandb.Settings(console="off", _disable_stats=True))
for step in range(steps):
    run.log({"train/loss": 1.0 / (step + 1), "train/acc": step * 1e-6, "lr": 0.001, "grad_norm": 0.5}, step=step)
run.finish()
print(time.perf_counter() - start)
""",
    "tensorboardX add_scalar": """
import sys, time
from tensorboardX import SummaryWriter
steps = int(sys.argv[2])
start = time.perf_counter()
writer = SummaryWriter(sys.argv[1])
for step in range(steps):
    writer.add_scalar("train/loss", 1.0 / (step + 1), step)
    writer.add_scalar("train/acc", step * 1e-6, step)
    writer.add_scalar("lr", 0.001, step)
    writer.add_scalar("grad_norm", 0.5, step)
writer.close()
print(time.perf_counter() - start)
""",
    "MLflow, SQLite store, log_batch per step": """
import sys, time, logging
logging.disable(logging.WARNING)
import mlflow
from mlflow.entities import Metric
mlflow.set_tracking_uri("sqlite:///" + sys.argv[1] + "/mlflow.db")
steps = int(sys.argv[2])
client = mlflow.MlflowClient()
experiment = client.create_experiment("bench")
run = client.create_run(experiment)
start = time.perf_counter()
for step in range(steps):
    now = int(time.time() * 1000)
    client.log_batch(run.info.run_id, metrics=[Metric(k, v, now, step) for k, v in
        {"train/loss": 1.0 / (step + 1), "train/acc": step * 1e-6, "lr": 0.001, "grad_norm": 0.5}.items()])
client.set_terminated(run.info.run_id)
print(time.perf_counter() - start)
""",
}


def peer(name, steps, workdir):
    python = peer_python()
    if python is None:
        return {"skipped": "peers not installed (make bench installs them in .venv-bench)"}
    directory = tempfile.mkdtemp(dir=workdir)
    script = pathlib.Path(directory) / "peer.py"
    script.write_text(PEER_SCRIPTS[name])
    result = subprocess.run([python, str(script), directory, str(steps)], capture_output=True, text=True, timeout=1800)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed"}
    elapsed = float(result.stdout.strip().splitlines()[-1])
    return {"calls": steps, "seconds": elapsed, "points_per_s": steps * METRICS / elapsed}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="fire-and-forget calls")
    parser.add_argument("--sync-calls", type=int, default=20_000)
    parser.add_argument("--memory-points", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the bench itself")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.sync_calls, args.memory_points = 50_000, 2_000, 400_000
    peer_steps = {"wandb offline": 50_000, "tensorboardX add_scalar": 100_000, "MLflow, SQLite store, log_batch per step": 500}
    if args.quick:
        peer_steps = {name: max(50, steps // 50) for name, steps in peer_steps.items()}

    workdir = pathlib.Path(tempfile.mkdtemp(prefix="runclinic-bench-"))
    results = {"machine": {"cores": os.cpu_count()}, "binary": binary()}
    try:
        steps = [
            ("fire_and_forget", lambda: fire_and_forget(workdir, args.calls)),
            ("synchronous", lambda: synchronous(workdir, args.sync_calls)),
            # The cost of surviving a power loss: every commit synced to disk.
            ("fire_and_forget_full", lambda: fire_and_forget(workdir, args.calls, ["--durability", "full"])),
            ("synchronous_full", lambda: synchronous(workdir, args.sync_calls, ["--durability", "full"])),
            ("memory", lambda: memory(workdir, args.memory_points)),
            ("startup", lambda: startup(workdir, 30)),
            ("jsonl_floor", lambda: jsonl_floor(workdir, args.calls)),
            ("naive_python_server", lambda: naive_server(workdir, min(args.calls, 300_000))),
        ] + [(name, (lambda n=name: peer(n, peer_steps[n], workdir))) for name in PEER_SCRIPTS]
        for name, measure in steps:
            print(f"... {name}", file=sys.stderr, flush=True)
            results[name] = measure()
            print(f"    {json.dumps(results[name])}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    ours = results["fire_and_forget"]["points_per_s"]
    print("\n| what | figure |\n|---|---|")
    print(f"| fire-and-forget monitor.log, {args.calls:,} calls x 4 metrics | {results['fire_and_forget']['calls_per_s']:,.0f} calls/s = {ours:,.0f} points/s |")
    sync = results["synchronous"]
    print(f"| synchronous monitor.log (committed), {sync['calls']:,} calls | median {sync['median_us']:.0f} µs, p99 {sync['p99_us']:.0f} µs |")
    full, sync_full = results["fire_and_forget_full"], results["synchronous_full"]
    print(f"| the same with --durability full | {full['points_per_s']:,.0f} points/s; synchronous median {sync_full['median_us']:.0f} µs, p99 {sync_full['p99_us']:.0f} µs |")
    mem = results["memory"]
    print(f"| server memory over {mem['points']:,} points | max RSS {mem['max_rss_mb']:.1f} MB (after a quarter {mem['rss_after_first_quarter_mb']:.1f} MB, end {mem['rss_at_end_mb']:.1f} MB) |")
    print(f"| start-up to first answer | median {results['startup']['median_ms']:.1f} ms, max {results['startup']['max_ms']:.1f} ms |")
    print("\n| logger (until on disk) | points/s | runclinic is |\n|---|---|---|")
    print(f"| runclinic, fire and forget | {ours:,.0f} | - |")
    for name in ["jsonl_floor", "naive_python_server", *PEER_SCRIPTS]:
        entry = results[name]
        if "points_per_s" in entry:
            print(f"| {name} | {entry['points_per_s']:,.0f} | {ours / entry['points_per_s']:.1f}x |")
        else:
            print(f"| {name} | {entry} | |")


if __name__ == "__main__":
    main()
