"""The audit's speed on a dataset read from disk (cold) and from the page cache (warm).

A dataset audited for the first time in a while is on disk, not in memory. This drops a folder's
files from the page cache (posix_fadvise DONTNEED, which needs no root; the files must have been
written back, as any dataset on disk is), audits it into a new database, then audits it again warm,
several times alternating, and prints the medians. Give two builds to compare them in the same run.

    python3 bench/audit_cold_cache.py --images bench/out/audit_photos/heldout/images \
        --runclinic .build/release/runclinic [--runclinic /other/build/runclinic] [--runs 4]
"""

import argparse
import os
import statistics
import subprocess
import tempfile
import time


def evict(folder):
    """Drops the folder's files from the page cache; returns how many bytes they hold."""
    total = 0
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fdatasync(descriptor)
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            total += os.fstat(descriptor).st_size
        finally:
            os.close(descriptor)
    return total


def audit_seconds(runclinic, folder):
    with tempfile.TemporaryDirectory(prefix="cold_cache_") as scratch:
        started = time.monotonic()
        subprocess.run([runclinic, "audit", folder, "--db", os.path.join(scratch, "audit.db")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", required=True, help="a folder of images")
    parser.add_argument("--runclinic", action="append", required=True, help="a build; give two to compare")
    parser.add_argument("--runs", type=int, default=4)
    arguments = parser.parse_args()
    count = sum(1 for name in os.listdir(arguments.images) if os.path.isfile(os.path.join(arguments.images, name)))
    seconds = {(build, mode): [] for build in arguments.runclinic for mode in ("cold", "warm")}
    size = 0
    for _ in range(arguments.runs):
        for build in arguments.runclinic:
            size = evict(arguments.images)
            seconds[(build, "cold")].append(audit_seconds(build, arguments.images))
            seconds[(build, "warm")].append(audit_seconds(build, arguments.images))
    print(f"{count} files, {size / 1e6:.0f} MB, {arguments.runs} runs each, alternating")
    print("| build | read | seconds, median (range) | images/s, median |")
    print("|---|---|---|---|")
    for (build, mode), values in seconds.items():
        median = statistics.median(values)
        print(f"| {build} | {mode} | {median:.2f} ({min(values):.2f}-{max(values):.2f}) | {count / median:.0f} |")


if __name__ == "__main__":
    main()
