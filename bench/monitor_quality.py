"""`make bench` (monitor part): detection quality side by side on the same metric streams.

The streams are the scenario suite's generators (clean runs of several shapes; faulty runs with a
known first anomalous step), over many seeds. Compared:
- runclinic, live: every value through `monitor.log`/`monitor.batch`, judged in the reply;
- the rules users wire into their loops today, live, re-implemented from their documentation:
  Keras TerminateOnNaN, EarlyStopping(val_loss, patience=10), ReduceLROnPlateau(val metric,
  patience=10, min_delta=1e-4) and Lightning's SpikeDetection (window 10, rtol 2);
- runmedic (PyPI), after the fact, on the run exported as CSV (`runmedic diagnose --json`).
A tool finds a fault when it reports the right kind within the window the detector needs; a false
alarm is a warning-or-worse report (a rule firing, for the rules) on a clean run, or before the
fault on a faulty one.
"""

import csv
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python"))
sys.path.insert(0, str(ROOT / "clients" / "python" / "tests"))

from runclinic import Client  # noqa: E402
from scenarios import FAULTS, build  # noqa: E402

RUNMEDIC_CHECKS = {  # runmedic check -> the fault it speaks of
    "non_finite": "nan", "spikes": "spike", "divergence": "divergence", "overfitting": "overfitting",
    "no_learning": "plateau", "lr_plateau": "plateau",
}
RUNCLINIC_TYPES = {fault: expected for fault, (expected, _, _) in FAULTS.items()}


def runclinic_reports(client, scenario):
    run = client.call("run.start", name=scenario.name)["run_id"]
    reports = []
    for step, metrics, batches in scenario.steps:
        for index, values, paths in batches:
            reply = client.call("monitor.batch", run=run, step=step, batch=index, metrics=values, samples=paths)
            reports += [(step, a["type"], a["severity"]) for a in reply["anomalies"]]
        reply = client.call("monitor.log", run=run, step=step, metrics=metrics)
        reports += [(step, a["type"], a["severity"]) for a in reply["anomalies"]]
    return reports


class Patience:
    """The counter behind EarlyStopping and ReduceLROnPlateau: fires after `patience`
    evaluations without an improvement, then starts again."""

    def __init__(self, patience, better):
        self.patience, self.better, self.best, self.wait = patience, better, None, 0

    def fires(self, value):
        if self.best is None or self.better(value, self.best):
            self.best, self.wait = value, 0
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.wait = 0
            return True
        return False


def rule_reports(scenario):
    """Keras/Lightning-style callbacks, live: (step, what fired)."""
    reports = []
    early_stopping = Patience(10, lambda value, best: value < best)  # EarlyStopping(val_loss, patience=10)
    reduce_lr = Patience(10, lambda value, best: value > best * (1 + 1e-4))  # ReduceLROnPlateau(mode=max, patience=10)
    recent = []
    for step, metrics, _ in scenario.steps:
        loss = metrics.get("train/loss")
        if loss is not None:
            if not math.isfinite(loss):
                reports.append((step, "nan"))  # TerminateOnNaN
            elif len(recent) == 10 and loss > statistics.mean(recent) * (1 + 2.0):
                reports.append((step, "spike"))  # SpikeDetection(window=10, rtol=2.0)
            if math.isfinite(loss):
                recent = (recent + [loss])[-10:]
        if "val/loss" in metrics and early_stopping.fires(metrics["val/loss"]):
            reports.append((step, "early_stopping"))
        if "val/recall" in metrics and reduce_lr.fires(metrics["val/recall"]):
            reports.append((step, "reduce_lr_on_plateau"))
    return reports


RULE_FINDS = {"nan": {"nan"}, "spike": {"spike"}, "plateau": {"reduce_lr_on_plateau", "early_stopping"},
              "overfitting": {"early_stopping"}, "divergence": {"nan", "spike"}}


def runmedic_reports(scenario, workdir):
    python = ROOT / ".venv-bench" / "bin" / "python"
    if not python.exists():
        return None
    path = pathlib.Path(workdir) / f"{scenario.name}.csv"
    columns = ["step", "train/loss", "lr", "val/recall", "val/loss"]
    with path.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        for step, metrics, _ in scenario.steps:
            writer.writerow({"step": step, **{k: v for k, v in metrics.items() if k in columns}})
    done = subprocess.run([str(python), "-m", "runmedic", "diagnose", str(path), "--json"], capture_output=True, text=True, timeout=300)
    findings = json.loads(done.stdout)
    if isinstance(findings, dict):
        findings = findings.get("runs", [findings])
    reports = []
    for run in findings:
        for finding in run.get("findings", []):
            reports.append((finding.get("step"), finding["check"], finding["severity"]))
    return reports


def judge(kind, reports, fault, fault_step, delay, matches):
    """(found, delay, false alarms) for one tool on one scenario."""
    false_alarms = 0
    found_at = None
    for step, what, severity in reports:
        loud = severity in ("warning", "high", "critical")
        if fault and matches(what, fault):
            if kind == "after the fact" or (step is not None and fault_step <= step <= fault_step + delay):
                found_at = step if found_at is None else found_at
                continue
        if loud and (fault is None or step is None or step < fault_step):
            false_alarms += 1
    return found_at is not None, (None if found_at is None or kind == "after the fact" else found_at - fault_step), false_alarms


def main(seeds=10):
    workdir = tempfile.mkdtemp(prefix="runclinic-quality-")
    db = pathlib.Path(workdir) / "quality.db"
    binary = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "release" / "runclinic")
    tools = {"runclinic (live)": {}, "Keras/Lightning rules (live)": {}, "runmedic (after the fact)": {}}
    clean_shapes = [("smooth", {}), ("warmup", {"warmup": 300}), ("lr-steps", {"lr_steps": (1200, 2200)}),
                    ("noisy", {"noise": 0.08, "val_noise": 0.015})]
    with Client.spawn(db=db, binary=binary) as client:
        cases = [(f"clean-{shape}-{seed}", None, kwargs, seed) for seed in range(seeds) for shape, kwargs in clean_shapes]
        cases += [(f"{fault}-{seed}", fault, {}, seed) for seed in range(seeds) for fault in FAULTS]
        for name, fault, kwargs, seed in cases:
            fault_step = FAULTS[fault][1] if fault else None
            delay = FAULTS[fault][2] if fault else 0
            scenario = build(name, seed=seed + 500, fault=fault, fault_step=fault_step, **kwargs)
            ours = runclinic_reports(client, scenario)
            rules = [(step, what, "warning") for step, what in rule_reports(scenario)]
            medic = runmedic_reports(scenario, workdir)
            results = {
                "runclinic (live)": judge("live", ours, fault, fault_step, delay, lambda what, f: what == RUNCLINIC_TYPES[f]),
                "Keras/Lightning rules (live)": judge("live", rules, fault, fault_step, max(delay, 2000),
                                                      lambda what, f: what in RULE_FINDS.get(f, set())),
            }
            if medic is not None:
                results["runmedic (after the fact)"] = judge("after the fact", medic, fault, fault_step, delay,
                                                             lambda what, f: RUNMEDIC_CHECKS.get(what) == f)
            for tool, (found, lag, alarms) in results.items():
                entry = tools[tool].setdefault(fault or "clean", {"runs": 0, "found": 0, "delays": [], "false_alarms": 0})
                entry["runs"] += 1
                entry["found"] += found
                entry["false_alarms"] += alarms
                if lag is not None:
                    entry["delays"].append(lag)
    print("| fault | " + " | ".join(tools) + " |")
    print("|---|" + "---|" * len(tools))
    for fault in ["clean", *FAULTS]:
        cells = []
        for tool, table in tools.items():
            entry = table.get(fault)
            if not entry:
                cells.append("-")
            elif fault == "clean":
                cells.append(f"{entry['false_alarms']} false alarms in {entry['runs']} runs")
            else:
                lag = f", median delay {statistics.median(entry['delays']):.0f} steps" if entry["delays"] else ""
                cells.append(f"{entry['found']}/{entry['runs']} found{lag}; {entry['false_alarms']} false alarms")
        print(f"| {fault} | " + " | ".join(cells) + " |")
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    (ROOT / "bench" / "out" / "monitor_quality.json").write_text(json.dumps(tools, indent=2))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
