"""Change points (issue 5): runclinic's PELT scored on the Turing Change Point Dataset, side by side
with ruptures' PELT, and timed on a 100,000-point series.

    python bench/changepoint_bench.py [--quick]

Quality: every univariate series of the redistributable TCPD subset in bench/data/tcpd (27 series;
run_log has two dimensions and is left out, as in the paper's univariate set), scored with the
paper's F1 (margin 5, every annotator, index 0 counted on both sides) and covering metrics
(van den Burg & Williams 2020, re-implemented here from their MIT-licensed code). Gaps (null)
are filled by straight lines before any method sees the series.

Methods, each with its default penalty rule:
- runclinic `analyze.change_points` with each segment model (mean, mean_variance, linear), MBIC-like
  penalty ((parameters + 2) x ln n on costs scaled by a robust noise estimate);
- ruptures 1.1.9 `Pelt(model="l2")` with its defaults (min_size=2, jump=5) on the z-scored
  series and the MBIC penalty for a mean change, 3 ln n (ruptures has no default penalty; this is
  the changepoint package's default rule that the TCPD paper's PELT used);
- "zero": no change point at all (the baseline the paper warns already scores well).

Speed: 100,000-point series (100 level shifts in unit noise; 3 level shifts; a smooth decay),
runclinic over its RPC (JSON both ways included) against ruptures (on the 100-shift series) in the same run (ruptures takes minutes: --quick skips it
and times ruptures on 10,000 points instead).
Writes bench/out/changepoints.json and prints markdown tables.
"""

import argparse
import json
import math
import os
import pathlib
import random
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "tcpd"
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "clients" / "python"))

from runclinic import Client  # noqa: E402


# --- the TCPD metrics (van den Burg & Williams, MIT) ---------------------------------------------

def true_positives(truth, predictions, margin=5):
    predictions = set(predictions)
    found = set()
    for tau in truth:
        close = sorted((abs(tau - x), x) for x in predictions if abs(tau - x) <= margin)
        if not close:
            continue
        found.add(tau)
        predictions.remove(close[0][1])
    return found


def f_measure(annotations, predictions, margin=5, alpha=0.5):
    annotators = [set(points) | {0} for points in annotations.values()]
    predicted = set(predictions) | {0}
    every = set().union(*annotators)
    precision = len(true_positives(every, predicted, margin)) / len(predicted)
    recall = sum(len(true_positives(points, predicted, margin)) / len(points) for points in annotators) / len(annotators)
    return precision * recall / (alpha * recall + (1 - alpha) * precision), precision, recall


def partition(points, n):
    cuts = sorted(set(p for p in points if 0 < p < n))
    edges = [0] + cuts + [n]
    return [set(range(edges[i], edges[i + 1])) for i in range(len(edges) - 1)]


def cover_single(predicted, truth, n):
    return sum(len(r) * max(len(r & p) / len(r | p) for p in predicted) for r in truth) / n


def covering(annotations, predictions, n):
    predicted = partition(predictions, n)
    return sum(cover_single(predicted, partition(points, n), n) for points in annotations.values()) / len(annotations)


# --- data ---------------------------------------------------------------------------------------

def load_series():
    annotations = json.loads((DATA / "annotations.json").read_text())
    series = []
    for path in sorted(DATA.glob("*.json")):
        if path.name == "annotations.json":
            continue
        document = json.loads(path.read_text())
        if document["n_dim"] != 1 or document["name"] not in annotations:
            continue
        raw = document["series"][0]["raw"]
        series.append((document["name"], fill(raw), annotations[document["name"]]))
    return series


def fill(raw):
    """Gaps (null) filled by straight lines between neighbours, as runclinic does itself."""
    values = list(raw)
    known = [i for i, v in enumerate(values) if v is not None]
    for i, v in enumerate(values):
        if v is None:
            before = max((k for k in known if k < i), default=None)
            after = min((k for k in known if k > i), default=None)
            if before is None:
                values[i] = values[after]
            elif after is None:
                values[i] = values[before]
            else:
                values[i] = values[before] + (values[after] - values[before]) * (i - before) / (after - before)
    return [float(v) for v in values]


# --- methods ------------------------------------------------------------------------------------

def ruptures_default(values):
    import numpy as np
    import ruptures
    x = np.asarray(values, dtype=float)
    deviation = x.std()
    x = (x - x.mean()) / (deviation if deviation > 0 else 1)
    cuts = ruptures.Pelt(model="l2").fit(x).predict(pen=3 * math.log(len(x)))
    return [c for c in cuts if c < len(x)]


def score(series, method):
    rows = []
    for name, values, annotations in series:
        points = method(values)
        f1, precision, recall = f_measure(annotations, points)
        rows.append({"series": name, "f1": f1, "precision": precision, "recall": recall,
                     "cover": covering(annotations, points, len(values)), "change_points": len(points)})
    mean = lambda key: sum(row[key] for row in rows) / len(rows)
    return {"f1": mean("f1"), "cover": mean("cover"), "precision": mean("precision"), "recall": mean("recall"),
            "change_points": mean("change_points"), "series": rows}


def long_series(count=100_000, shifts=100, seed=5):
    rng = random.Random(seed)
    values, level = [], 0.0
    for index in range(count):
        if index % (count // shifts) == 0:
            level = rng.gauss(0, 3)
        values.append(level + rng.gauss(0, 1))
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="time ruptures on 10,000 points, not 100,000")
    arguments = parser.parse_args()
    binary = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")
    series = load_series()
    results = {"quality": {}, "speed": {}}
    OUT.mkdir(parents=True, exist_ok=True)
    with Client.spawn(db=OUT / "changepoints.db", binary=binary) as client:
        runs = [("linear", "mbic", "whole_series"), ("linear", "bic", "whole_series"), ("mean", "mbic", "whole_series"),
                ("mean_variance", "mbic", "whole_series"), ("linear", "mbic", "differences"), ("mean", "mbic", "differences")]
        for model, penalty, noise in runs:
            label = f"runclinic {model}, {penalty}" + (", noise from differences" if noise == "differences" else "")
            if (model, penalty, noise) == ("linear", "mbic", "whole_series"):
                label += " (defaults)"
            results["quality"][label] = score(series, lambda values: client.call(
                "analyze.change_points", values=values, model=model, penalty=penalty, noise=noise)["change_points"])
        results["quality"]["ruptures Pelt l2 (defaults)"] = score(series, ruptures_default)
        results["quality"]["zero (no change point)"] = score(series, lambda values: [])

        # Many changes (PELT prunes well), few changes (the common training curve, where exact PELT
        # prunes little: series over 10,000 points are searched in blocks and then placed exactly),
        # and a smooth decay with no change at all.
        few = long_series(shifts=3, seed=6)
        rng = random.Random(7)
        decay = [0.3 + 2.0 * math.exp(-index / 20_000) + rng.gauss(0, 0.05) for index in range(100_000)]
        values = long_series()
        for label, series_values in [("100 level shifts", values), ("3 level shifts", few), ("a smooth decay", decay)]:
            for model in ["mean", "linear"]:
                started = time.perf_counter()
                found = client.call("analyze.change_points", values=series_values, model=model)["change_points"]
                results["speed"][f"runclinic {model}, 100,000 points, {label}"] = {"seconds": time.perf_counter() - started,
                                                                                  "change_points": len(found)}
    peer_points = 10_000 if arguments.quick else 100_000
    peer_values = values[:peer_points]
    started = time.perf_counter()
    found = ruptures_default(peer_values)
    results["speed"][f"ruptures Pelt l2, {peer_points:,} points"] = {"seconds": time.perf_counter() - started, "change_points": len(found)}

    OUT.mkdir(exist_ok=True)
    (OUT / "changepoints.json").write_text(json.dumps(results, indent=2))
    print(f"\n### TCPD, {len(series)} univariate series (means over series)\n")
    print("| method | F1 | cover | precision | recall | change points per series |")
    print("|---|---|---|---|---|---|")
    for name, row in results["quality"].items():
        print(f"| {name} | {row['f1']:.3f} | {row['cover']:.3f} | {row['precision']:.3f} | {row['recall']:.3f} | {row['change_points']:.1f} |")
    print("\n### Speed\n")
    print("| run | seconds | change points |")
    print("|---|---|---|")
    for name, row in results["speed"].items():
        print(f"| {name} | {row['seconds']:.3f} | {row['change_points']} |")


if __name__ == "__main__":
    main()
