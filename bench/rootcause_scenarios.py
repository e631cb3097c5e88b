"""Root-cause accuracy (issue 5): a suite of realistic runs, each with a known cause, analysed by
`analyze.run`; the primary hypothesis (the top cause of the first incident) is scored against it.
Side by side, runmedic (PyPI) diagnoses the same runs exported as CSV.

    python bench/rootcause_scenarios.py [--seeds 3]

Runs (3,000 steps, validation every 100 in 16 batches of 8 images), per seed:
- data_quality: from step 2,000 the batches holding defective real images fall while the others
  hold — rotated receipts (batches 12-15), skewed receipts (3-5), blurred photographs (6-9; the
  other batches hold the sharp photograph), truncated receipts (0-1). The images are real files
  (Tests/Fixtures/images), audited on the fly from data_dir by the analysis.
- data_change: from step 2,000 batches 4-6 hold other (sound) images and fall.
- learning_rate: the logged LR rises 20x at step 1,800; the loss diverges, then turns NaN.
- non_finite, divergence, overfitting, plateau: the monitor suite's generators
  (clients/python/tests/scenarios.py).
- unexplained: every batch falls by 0.15 at step 2,000, with nothing in the logs to say why.
- clean: five shapes (smooth, warm-up, LR steps, noisy, long): right when nothing or
  "unexplained" is said.
Writes bench/out/rootcause.json and prints the confusion table.
"""

import argparse
import csv
import json
import math
import os
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python"))
sys.path.insert(0, str(ROOT / "clients" / "python" / "tests"))

from runclinic import Client  # noqa: E402
from scenarios import EVAL_EVERY, BATCHES, Scenario, build  # noqa: E402

FIXTURES = ROOT / "Tests" / "Fixtures" / "images"
RUNMEDIC = {"non_finite": "non_finite", "spikes": "divergence", "divergence": "divergence", "overfitting": "overfitting",
            "no_learning": "plateau", "lr_plateau": "plateau"}
DYNAMICS = {"non_finite": ("nan", 1234), "divergence": ("divergence", 1500), "overfitting": ("overfitting", 1500),
            "plateau": ("plateau", 500)}
DATA_CASES = {  # name: (defect, batches holding it, sound file, defective file)
    "rotated": ("rotated", range(12, 16), "receipt.jpg", "receipt_quarter.jpg"),
    "skewed": ("skewed", range(3, 6), "receipt.jpg", "receipt_skewed.jpg"),
    "blurry": ("blurry", range(6, 10), "photo.jpg", "photo_blurred.jpg"),
    "truncated": ("truncated", range(0, 2), "receipt.jpg", None),
}


def write_images(folder, sound, defective, bad_batches, tag):
    """16 batches of 8 files; the bad batches' files are defective (a cut-off JPEG when None)."""
    batches = []
    for batch in range(BATCHES):
        paths = []
        for index in range(8):
            name = f"{tag}/val_{batch:02d}_{index}.jpg"
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if batch in bad_batches:
                if defective is None:
                    data = (FIXTURES / sound).read_bytes()
                    target.write_bytes(data[: int(len(data) * 0.6)])
                else:
                    shutil.copy(FIXTURES / defective, target)
            else:
                shutil.copy(FIXTURES / sound, target)
            paths.append(name)
        batches.append(paths)
    return batches


def batch_run(name, seed, batches, fall_from=None, falling=(), swap=None, uniform_drop=False):
    """A clean run whose batches in `falling` lose 0.5 recall from `fall_from` (or all lose 0.15)."""
    base = build(name, seed=seed, with_batches=False)
    rng = random.Random(seed)
    offsets = [rng.gauss(0, 0.02) for _ in range(BATCHES)]
    steps = []
    for step, metrics, _ in base.steps:
        if "val/recall" not in metrics:
            steps.append((step, metrics, []))
            continue
        records, values = [], []
        for index in range(BATCHES):
            value = min(0.999, metrics["val/recall"] + offsets[index] + rng.gauss(0, 0.01))
            paths = batches[index]
            if fall_from is not None and step >= fall_from:
                if uniform_drop:
                    value -= 0.15
                elif index in falling:
                    value -= 0.5
                    if swap:
                        paths = swap[index]
            values.append(value)
            records.append((index, {"val/recall": value}, paths))
        steps.append((step, {**metrics, "val/recall": sum(values) / len(values)}, records))
    return Scenario(name, steps)


def lr_blow_up(name, seed):
    base = build(name, seed=seed, with_batches=True)
    steps = []
    for step, metrics, records in base.steps:
        metrics = dict(metrics)
        if "lr" in metrics and step >= 1800:
            metrics["lr"] = 2e-2
        if "train/loss" in metrics and step >= 1850:
            metrics["train/loss"] = float("nan") if step >= 2100 else metrics["train/loss"] * math.exp((step - 1850) / 30)
        if "val/recall" in metrics and step >= 1900:
            metrics["val/recall"] = 0.1
            records = [(index, {"val/recall": 0.1}, paths) for index, _, paths in records]
        steps.append((step, metrics, records))
    return Scenario(name, steps)


def cases(seeds, folder):
    for seed in range(seeds):
        for case, (defect, bad, sound, defective) in DATA_CASES.items():
            batches = write_images(folder, sound, defective, set(bad), f"{case}-{seed}")
            yield f"data-{case}-{seed}", ("data_quality", defect), batch_run(f"data-{case}-{seed}", 600 + seed, batches, 2000, set(bad))
        batches = write_images(folder, "receipt.jpg", None, set(), f"change-{seed}")
        renamed = {index: [p.replace(".jpg", "_new.jpg") for p in batches[index]] for index in (4, 5, 6)}
        for paths in renamed.values():
            for path in paths:
                shutil.copy(FIXTURES / "receipt.jpg", folder / path)
        yield f"data-change-{seed}", ("data_change", None), batch_run(f"data-change-{seed}", 700 + seed, batches, 2000, {4, 5, 6}, swap=renamed)
        yield f"lr-{seed}", ("learning_rate", None), lr_blow_up(f"lr-{seed}", 800 + seed)
        for cause, (fault, fault_step) in DYNAMICS.items():
            yield f"{cause}-{seed}", (cause, None), build(f"{cause}-{seed}", seed=900 + seed, fault=fault, fault_step=fault_step)
        batches = write_images(folder, "receipt.jpg", None, set(), f"uniform-{seed}")
        yield f"unexplained-{seed}", ("unexplained", None), batch_run(f"unexplained-{seed}", 1000 + seed, batches, 2000, uniform_drop=True)
        for shape, kwargs in [("smooth", {}), ("warmup", {"warmup": 300}), ("lr-steps", {"lr_steps": (1200, 2200)}),
                              ("noisy", {"noise": 0.08, "val_noise": 0.015}), ("long", {"total": 6000})]:
            yield f"clean-{shape}-{seed}", ("clean", None), build(f"clean-{shape}-{seed}", seed=1100 + seed, **kwargs)


def log(client, scenario):
    run = client.call("run.start", name=scenario.name)["run_id"]
    for step, metrics, records in scenario.steps:
        for index, values, paths in records:
            client.call("monitor.batch", run=run, step=step, batch=index, metrics=values, samples=paths)
        client.call("monitor.log", run=run, step=step, metrics=metrics)
    client.call("run.finish", run=run)
    return run


def runmedic(scenario, folder):
    python = ROOT / ".venv-bench" / "bin" / "python"
    if not python.exists():
        return None
    path = folder / f"{scenario.name}.csv"
    columns = ["step", "train/loss", "lr", "val/recall", "val/loss"]
    rows = {}
    for step, metrics, _ in scenario.steps:
        rows.setdefault(step, {"step": step}).update({k: v for k, v in metrics.items() if k in columns})
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows.values())
    done = subprocess.run([str(python), "-m", "runmedic", "diagnose", str(path), "--json"], capture_output=True, text=True, timeout=300)
    findings = json.loads(done.stdout)
    if isinstance(findings, dict):
        findings = findings.get("runs", [findings])
    return {RUNMEDIC[f["check"]] for run in findings for f in run.get("findings", []) if f["check"] in RUNMEDIC}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    arguments = parser.parse_args()
    binary = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")
    work = pathlib.Path(tempfile.mkdtemp(prefix="runclinic-rootcause-"))
    data = work / "data"
    results = []
    with Client.spawn(db=work / "runs.db", binary=binary) as client:
        for name, (expected, defect), scenario in cases(arguments.seeds, data):
            run = log(client, scenario)
            reply = client.call("analyze.run", run=run, data_dir=str(data))
            explanations = reply["root_causes"]
            top = explanations[0]["hypotheses"][0] if explanations else None
            said = top["cause"] if top else "none"
            named = {h["cause"] for e in explanations for h in e["hypotheses"] if h["confidence"] >= 0.5}
            right = (said in ("none", "unexplained")) if expected == "clean" else (said == expected and (defect is None or top.get("defect") == defect))
            medic = runmedic(scenario, work)
            results.append({"run": name, "expected": expected, "defect": defect, "said": said, "said_defect": top.get("defect") if top else None,
                            "right": right, "named": sorted(named), "runmedic": sorted(medic) if medic is not None else None,
                            "key_finding": reply["key_finding"]})
            print(f"{name}: expected {expected}{'/' + defect if defect else ''}, said {said}{'/' + str(top.get('defect')) if top and top.get('defect') else ''}"
                  f" {'ok' if right else 'WRONG'}; runmedic {sorted(medic) if medic is not None else '-'}", flush=True)
    causes = ["data_quality", "data_change", "learning_rate", "non_finite", "divergence", "overfitting", "plateau", "unexplained", "clean"]
    said_columns = ["data_quality", "data_change", "learning_rate", "non_finite", "divergence", "overfitting", "plateau", "recovery_action", "unexplained", "none"]
    right = sum(r["right"] for r in results)
    print(f"\n### Primary hypothesis right in {right} of {len(results)} runs ({100 * right / len(results):.0f}%)\n")
    print("| expected \\ said | " + " | ".join(said_columns) + " |")
    print("|---|" + "---|" * len(said_columns))
    for cause in causes:
        rows = [r for r in results if r["expected"] == cause]
        if rows:
            print(f"| {cause} ({len(rows)}) | " + " | ".join(str(sum(r["said"] == s for r in rows) or "") for s in said_columns) + " |")
    wrong_defects = [r for r in results if r["expected"] == "data_quality" and r["said"] == "data_quality" and not r["right"]]
    if wrong_defects:
        print(f"\n{len(wrong_defects)} data-quality runs named the wrong defect: " + ", ".join(f"{r['run']} ({r['said_defect']})" for r in wrong_defects))
    if all(r["runmedic"] is not None for r in results):
        missed = [(r["run"], sorted(set(r["runmedic"]) - set(r["named"]))) for r in results
                  if set(r["runmedic"]) - set(r["named"]) and r["expected"] != "clean"]
        print("\n### runmedic on the same runs (CSV)\n")
        print("| expected | runs | runmedic names the cause | runclinic names it |")
        print("|---|---|---|---|")
        for cause in causes:
            rows = [r for r in results if r["expected"] == cause]
            if rows:
                target = cause if cause not in ("clean", "unexplained") else None
                medic = sum(target in r["runmedic"] for r in rows) if target else "-"
                ours = sum(r["right"] for r in rows)
                print(f"| {cause} | {len(rows)} | {medic} | {ours} |")
        print(f"\nfaults runmedic reports that runclinic does not name (confidence >= 0.5), on faulty runs: {missed or 'none'}")
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "rootcause.json").write_text(json.dumps(results, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
