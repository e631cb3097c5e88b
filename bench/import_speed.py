"""Import speed (issue 7), release build, fresh store each time, median of 3:

* a wandb offline run of 20,000 steps x 4 metrics (written by the real wandb), target < 1 s;
  peer: a pure-Python (standard library) parse of the same file, records decoded, history values read;
* a TensorBoard log folder of 100 runs x 10,000 points (tensorboardX, 2,500 steps x 4 scalars),
  target < 5 s; peer: runmedic 0.1.1's pure-Python event-file loader on the same folder.

    python bench/import_speed.py          (needs wandb, tensorboardX, runmedic: bench/requirements.txt)

The logs are written once and cached in bench/out/import-data (generating them takes minutes).
"""

import json
import math
import os
import pathlib
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "out" / "import-data"
STEPS, TB_RUNS, TB_STEPS = 20_000, 100, 2_500
METRICS = ["train/loss", "train/acc", "val/loss", "lr"]


def values(step, rng):
    return {"train/loss": 2.0 * math.exp(-step / 4000) + rng.gauss(0, 0.02), "train/acc": 1 - math.exp(-step / 3000),
            "val/loss": 2.1 * math.exp(-step / 4000) + rng.gauss(0, 0.03), "lr": 1e-3 * (1 + math.cos(math.pi * step / STEPS)) / 2}


def write_wandb(target):
    os.environ.update(WANDB_MODE="offline", WANDB_SILENT="true")
    import wandb
    rng = random.Random(1)
    run = wandb.init(project="speed", name="long-run", dir=str(target), config={"lr": 1e-3, "batch_size": 64},
                     settings=wandb.Settings(x_disable_stats=True, console="off"))
    for step in range(STEPS):
        run.log(values(step, rng), step=step)
    run.finish()
    wandb.teardown()


def write_tensorboard(target):
    from tensorboardX import SummaryWriter
    for index in range(TB_RUNS):
        rng = random.Random(index)
        writer = SummaryWriter(logdir=str(target / f"lr{index % 10}" / f"seed{index // 10}"))
        for step in range(TB_STEPS):
            for key, value in values(step * 8, rng).items():
                writer.add_scalar(key, value, step)
        writer.close()


def ensure_data():
    wandb_dir, tb_dir = DATA / "wandb", DATA / "tensorboard"
    for directory, write in ((wandb_dir, write_wandb), (tb_dir, write_tensorboard)):
        if not (directory / ".complete").exists():
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)
            started = time.perf_counter()
            write(directory)
            (directory / ".complete").touch()
            print(f"wrote {directory.name} logs in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return next(wandb_dir.rglob("run-*.wandb")), tb_dir


def time_import(binary, path):
    times, reply = [], None
    for _ in range(3):
        with tempfile.TemporaryDirectory() as scratch:
            db = pathlib.Path(scratch) / "runs.db"
            started = time.perf_counter()
            done = subprocess.run([binary, "import", str(path), "--db", str(db), "--json"], capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                sys.exit(done.stderr)
            reply = json.loads(done.stdout)
    return statistics.median(times), reply


def python_wandb_parse(path):
    """What a standard-library reader does: blocks, chunks, CRC-32, protobuf, value_json."""
    data = path.read_bytes()
    assert data[:4] == b":W&B"

    def varint(buf, pos):
        result = shift = 0
        while True:
            byte = buf[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if byte < 0x80:
                return result, pos
            shift += 7

    def fields(buf):
        pos = 0
        while pos < len(buf):
            key, pos = varint(buf, pos)
            kind = key & 7
            if kind == 0:
                value, pos = varint(buf, pos)
            elif kind == 1:
                value, pos = buf[pos:pos + 8], pos + 8
            elif kind == 2:
                length, pos = varint(buf, pos)
                value, pos = buf[pos:pos + length], pos + length
            else:
                value, pos = buf[pos:pos + 4], pos + 4
            yield key >> 3, value

    points, pos, pending = 0, 7, b""
    while pos + 7 <= len(data):
        room = 32768 - pos % 32768
        if room < 7:
            pos += room
            continue
        crc, length, kind = struct.unpack_from("<IHB", data, pos)
        if crc == 0 and length == 0 and kind == 0:
            pos += room
            continue
        payload = data[pos + 7:pos + 7 + length]
        assert zlib.crc32(payload, zlib.crc32(bytes([kind]))) == crc
        pos += 7 + length
        pending = payload if kind in (1, 2) else pending + payload
        if kind not in (1, 4):
            continue
        for number, value in fields(pending):
            if number == 2:
                for item_number, item in fields(value):
                    if item_number != 1:
                        continue
                    key, text = "", b""
                    for n, v in fields(item):
                        if n in (1, 2):
                            key = v.decode()
                        elif n == 16:
                            text = v
                    if not key.startswith("_"):
                        json.loads(text)
                        points += 1
    return points


def runmedic_tensorboard(path):
    from runmedic.loaders import load_dir
    return sum(len(series) for run in load_dir(path) for series in run.series.values())


def timed(function, *args):
    times, result = [], None
    for _ in range(3):
        started = time.perf_counter()
        result = function(*args)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main():
    binary = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")
    wandb_file, tb_dir = ensure_data()
    print("| source | size | runclinic import (stored, judged) | points | peer | peer seconds | target |")
    print("|---|---|---|---|---|---|---|")
    seconds, reply = time_import(binary, wandb_file)
    assert reply[0]["points"] == STEPS * 4, reply
    peer_seconds, peer_points = timed(python_wandb_parse, wandb_file)
    assert peer_points == STEPS * 4, peer_points
    print(f"| wandb .wandb, {STEPS:,} steps x 4 metrics | {wandb_file.stat().st_size / 1e6:.1f} MB | {seconds:.2f} s | {STEPS * 4:,} "
          f"| pure-Python parse (stdlib) | {peer_seconds:.2f} s | < 1 s |")
    seconds, reply = time_import(binary, tb_dir)
    points = sum(run["points"] for run in reply)
    assert len(reply) == TB_RUNS and points == TB_RUNS * TB_STEPS * 4, (len(reply), points)
    size = sum(f.stat().st_size for f in tb_dir.rglob("events.out.tfevents.*"))
    try:
        peer_seconds, peer_points = timed(runmedic_tensorboard, tb_dir)
        peer = f"runmedic 0.1.1 loader | {peer_seconds:.2f} s"
    except Exception as error:  # the peer is optional: say why it is missing
        peer = f"runmedic: {type(error).__name__}: {error} | -"
    print(f"| TensorBoard folder, {TB_RUNS} runs x {TB_STEPS * 4:,} points | {size / 1e6:.1f} MB | {seconds:.2f} s | {points:,} "
          f"| {peer} | < 5 s |")


if __name__ == "__main__":
    main()
