"""Memory of a large audit (issue 4): `runclinic audit` on 10,000 and 100,000 small images, the peak
resident memory of the auditing process (sampled from /proc every 20 ms) and of its decoding
workers. Flat means the peak does not grow with the number of images beyond the per-image hashes.

    python bench/audit_memory.py [--counts 10000,100000]
"""

import argparse
import io
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def make_images(folder: Path, count: int) -> None:
    """Distinct 128x128 JPEGs (random blocks), in folders of 1,000 as datasets are laid out."""
    if (folder / ".complete").exists() and sum(1 for _ in folder.rglob("*.jpg")) == count:
        return
    rng = random.Random(count)
    for index in range(count):
        directory = folder / f"part{index // 1000:04d}"
        directory.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGB", (16, 16))
        image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(256)])
        buffer = io.BytesIO()
        image.resize((128, 128), Image.NEAREST).save(buffer, "JPEG", quality=85)
        (directory / f"{index:06d}.jpg").write_bytes(buffer.getvalue())
    (folder / ".complete").touch()


def resident_kib(pid: int) -> int:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list:
    try:
        return [int(child) for child in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []


def audit(folder: Path) -> dict:
    binary = os.environ.get("RUNCLINIC_BIN", str(ROOT / ".build" / "release" / "runclinic"))
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        process = subprocess.Popen([binary, "audit", str(folder), "--db", str(Path(scratch) / "audit.db")],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        peak_main = peak_worker = 0
        while process.poll() is None:
            peak_main = max(peak_main, resident_kib(process.pid))
            for child in children(process.pid):
                peak_worker = max(peak_worker, resident_kib(child))
            time.sleep(0.02)
        output = process.stdout.read()
        return {"seconds": time.perf_counter() - started, "main_mb": peak_main / 1024, "worker_mb": peak_worker / 1024,
                "summary": output.splitlines()[0] if output else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", default="10000,100000")
    arguments = parser.parse_args()
    print("| images | seconds | images/s | auditing process, peak RSS | one decoding worker, peak RSS |")
    print("|---|---|---|---|---|")
    for count in [int(value) for value in arguments.counts.split(",")]:
        folder = HERE / "out" / f"audit_memory_{count}"
        make_images(folder, count)
        result = audit(folder)
        print(f"| {count:,} | {result['seconds']:.1f} | {count / result['seconds']:,.0f} | {result['main_mb']:.1f} MB | "
              f"{result['worker_mb']:.1f} MB |", flush=True)
        print(f"<!-- {result['summary']} -->", file=sys.stderr)


if __name__ == "__main__":
    main()
