#!/usr/bin/env python3
"""Stress sets drawn from the tune half: its clean pictures under one fault, at the strengths the
issue names, for looking at what a check misses without touching the held-out half.

    stress.py near_duplicate --seed 1 --out DIR    # 150 photos + 150 pages, each with one copy
    stress.py blurry --seed 5 --out DIR            # 150 photos + 100 pages under a defocus disc
    stress.py overexposed --seed 7 --out DIR       # 200 photos + 50 photographed pages washed out
    stress.py shaken --seed 21 --out DIR           # 120 photos + 80 pages under a camera's shake
    stress.py grayscale --seed 3 --out DIR         # every clean photo of the tune half, made grey

Each writes DIR/images and DIR/rows.json, audits DIR/images with --runclinic (default
.build/release/runclinic, a fresh database in DIR) and prints what was found. The faults:
- near_duplicate: 1-2 of the usual pipeline edits (re-encoded at quality 30-60, resized to
  45-80%, cropped by 4-10% of each side's length, brightened or darkened by 12-22 levels); a
  pair counts when either image is reported a (near-)duplicate of the other, and any other pair
  reported is false.
- blurry: a defocus disc of 0.55-1.2% of the longer side (3 px at least), JPEG quality 90.
- overexposed: every channel multiplied by 1.8-3 and raised by 20-85 (washed out), quality 90.
- shaken (scored as blurry): a line 0.8-2% of the longer side long (5 px at least), at any angle,
  as the blur kernel: a camera that moved while its shutter was open; quality 90.
- grayscale: the picture's grey (OpenCV's) in three equal channels, JPEG at quality 78-95 or, one
  in seven, PNG; it also counts how many are called blurry, which their colour originals are not
  all.
Needs the generator's environment (.venv-audit-photos, see README.md). Sets of different seeds share bases.
"""

import argparse
import collections
import json
import os
import random
import re
import subprocess
import sys

import cv2
import numpy as np

from make_dataset import disk_kernel  # the held-out and tune halves' defocus disc

HERE = os.path.dirname(os.path.abspath(__file__))
TUNE = os.path.join(HERE, "..", "out", "audit_photos", "tune")


def clean_bases(kinds):
    meta = json.load(open(os.path.join(TUNE, "meta.json")))
    return meta, [p for p, m in sorted(meta.items()) if not m["issues"] and not m.get("also_ok") and m["kind"] in kinds]


def near_duplicate_pair(rng, a):
    b = a.copy()
    edits = rng.sample(["recompress", "resize", "crop", "brightness"], rng.choice([1, 2]))
    done = {}
    for edit in edits:
        if edit == "resize":
            s = rng.uniform(0.45, 0.8)
            b = cv2.resize(b, (max(32, int(b.shape[1] * s)), max(32, int(b.shape[0] * s))), interpolation=cv2.INTER_AREA)
            done["resize"] = round(s, 2)
        elif edit == "crop":
            total = rng.uniform(0.04, 0.10)
            h, w = b.shape[:2]
            left, top = rng.uniform(0, total), rng.uniform(0, total)
            b = b[int(h * top / 2): h - int(h * (total - top) / 2), int(w * left / 2): w - int(w * (total - left) / 2)]
            done["crop"] = round(total, 3)
        elif edit == "brightness":
            d = rng.uniform(12, 22) * rng.choice([-1, 1])
            b = np.clip(b.astype(np.float32) + d, 0, 255).astype(np.uint8)
            done["brightness"] = round(d, 1)
    done["quality"] = rng.randint(30, 60) if "recompress" in edits else rng.randint(75, 92)
    return np.ascontiguousarray(b), done


# What each set starts from: how many of the tune half's clean photos, then how many of its clean
# pages of which kinds (each list shuffled by the seed). The grayscale set takes every photo.
BASES = {
    "near_duplicate": (150, {"doc_scan", "doc_camera", "receipt"}, 150),
    "blurry": (150, {"doc_scan", "doc_camera"}, 100),
    "overexposed": (200, {"doc_camera"}, 50),
    "shaken": (120, {"doc_scan", "doc_camera", "receipt"}, 80),
}


def make(kind, seed, out):
    rng = random.Random(seed)
    images = os.path.join(out, "images")
    os.makedirs(images, exist_ok=True)
    rows = []
    if kind == "grayscale":
        meta, bases = clean_bases({"photo"})
    else:
        photo_count, page_kinds, page_count = BASES[kind]
        meta, photos = clean_bases({"photo"})
        _, pages = clean_bases(page_kinds)
        rng.shuffle(photos), rng.shuffle(pages)
        bases = photos[:photo_count] + pages[:page_count]
    for index, source in enumerate(bases):
        a = cv2.imread(os.path.join(TUNE, source), cv2.IMREAD_COLOR)
        if a is None or min(a.shape[:2]) < 150:
            continue
        row = {"kind": meta[source]["kind"], "source": source}
        if kind == "near_duplicate":
            row["base"], row["copy"] = f"b{index:04d}.jpg", f"c{index:04d}.jpg"
            cv2.imwrite(os.path.join(images, row["base"]), a, [cv2.IMWRITE_JPEG_QUALITY, 92])
            b, done = near_duplicate_pair(rng, a)
            cv2.imwrite(os.path.join(images, row["copy"]), b, [cv2.IMWRITE_JPEG_QUALITY, done["quality"]])
            row.update(done)
        elif kind == "blurry":
            radius = max(3.0, rng.uniform(0.0055, 0.012) * max(a.shape[:2]))
            row["name"], row["radius"] = f"x{index:04d}.jpg", round(radius, 2)
            b = cv2.filter2D(a, -1, disk_kernel(radius), borderType=cv2.BORDER_REFLECT)
            cv2.imwrite(os.path.join(images, row["name"]), b, [cv2.IMWRITE_JPEG_QUALITY, 90])
        elif kind == "shaken":
            length = max(5, int(round(rng.uniform(0.008, 0.02) * max(a.shape[:2]))))
            angle = rng.uniform(0, 180)
            row["name"], row["length"], row["angle"] = f"s{index:04d}.jpg", length, round(angle, 1)
            line = np.zeros((length, length), np.float32)
            line[length // 2, :] = 1
            centre = ((length - 1) / 2, (length - 1) / 2)
            line = cv2.warpAffine(line, cv2.getRotationMatrix2D(centre, angle, 1), (length, length))
            b = cv2.filter2D(a, -1, line / line.sum(), borderType=cv2.BORDER_REFLECT)
            cv2.imwrite(os.path.join(images, row["name"]), b, [cv2.IMWRITE_JPEG_QUALITY, 90])
        elif kind == "grayscale":
            b = cv2.cvtColor(cv2.cvtColor(a, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
            if rng.random() < 1 / 7:
                row["name"] = f"g{index:04d}.png"
                cv2.imwrite(os.path.join(images, row["name"]), b)
            else:
                row["name"], row["quality"] = f"g{index:04d}.jpg", rng.randint(78, 95)
                cv2.imwrite(os.path.join(images, row["name"]), b, [cv2.IMWRITE_JPEG_QUALITY, row["quality"]])
        else:
            gain, offset = rng.uniform(1.8, 3.0), rng.uniform(20, 85)
            row["name"], row["gain"], row["offset"] = f"o{index:04d}.jpg", round(gain, 2), round(offset, 1)
            b = np.clip(a.astype(np.float32) * gain + offset, 0, 255).astype(np.uint8)
            cv2.imwrite(os.path.join(images, row["name"]), b, [cv2.IMWRITE_JPEG_QUALITY, 90])
        rows.append(row)
    json.dump(rows, open(os.path.join(out, "rows.json"), "w"), indent=1)
    return rows


def score(kind, rows, findings):
    by_image = collections.defaultdict(list)
    for finding in findings:
        by_image[os.path.basename(finding["path"])].append(finding)
    if kind == "near_duplicate":
        wanted = {frozenset((r["base"], r["copy"])) for r in rows}
        found, false = set(), set()
        for name, listed in by_image.items():
            for finding in listed:
                if finding["issue"] not in ("near_duplicate", "duplicate"):
                    continue
                for other in re.findall(r"[bc]\d{4}\.jpg", finding["detail"]):
                    pair = frozenset((name, other))
                    if other != name:
                        (found if pair in wanted else false).add(pair)
        print(f"near_duplicate pairs found: {len(found)} of {len(wanted)}; false pairs: {len(false)}")
        return
    issue = "blurry" if kind == "shaken" else kind
    flagged = lambda r, name: any(f["issue"] == name and f["severity"] != "info" for f in by_image[r["name"]])
    hits = sum(flagged(r, issue) for r in rows)
    instead = collections.Counter(
        "+".join(sorted({f["issue"] for f in by_image[r["name"]]})) or "nothing"
        for r in rows if not flagged(r, issue))
    print(f"{kind}: {hits} of {len(rows)} found; the others reported as {dict(instead)}")
    if kind == "shaken":
        for label, pages in (("photos", False), ("pages", True)):
            part = [r for r in rows if (r["kind"] != "photo") == pages]
            print(f"  {label}: {sum(flagged(r, issue) for r in part)} of {len(part)}")
    if kind in ("overexposed", "grayscale"):
        print(f"  also called blurry: {sum(flagged(r, 'blurry') for r in rows)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["near_duplicate", "blurry", "overexposed", "shaken", "grayscale"])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--runclinic", default=os.path.join(HERE, "..", "..", ".build", "release", "runclinic"))
    args = parser.parse_args()
    rows = make(args.kind, args.seed, args.out)
    database, report = os.path.join(args.out, "stress.db"), os.path.join(args.out, "findings.jsonl")
    for path in (database, database + "-wal", database + "-shm", report):
        if os.path.exists(path):
            os.remove(path)
    subprocess.run([args.runclinic, "audit", os.path.join(args.out, "images"), "--db", database, "--jsonl", report],
                   stdout=subprocess.DEVNULL, check=False)
    findings = [json.loads(line) for line in open(report)] if os.path.exists(report) else []
    score(args.kind, rows, findings)


if __name__ == "__main__":
    sys.exit(main())
