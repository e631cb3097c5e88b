#!/usr/bin/env python3
"""Real small trainings with real faults, logged through runclinic's Python client, scored
against the truth known by construction.

  python bench/realruns/evaluate.py --split tune|heldout --out DIR [--only CAUSE] [--keep] [--json FILE]

The server binary comes from $RUNCLINIC_BIN (or `runclinic` on PATH). Each evaluation uses a
fresh SQLite store in DIR. See bench/realruns/README.md.
"""

import argparse
import importlib
import json
import math
import os
import shutil
import sys
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # tiny matrices: threads only contend on two cores

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "clients", "python"))

from runclinic import Client, Monitor  # noqa: E402

from runner import Corpus, Trainer, truth_for  # noqa: E402
from scoring import (SEVERITY, covering, f_measure, judge_root_cause, median, steps_to_indices,  # noqa: E402
                     table)
from specs import config_for  # noqa: E402

CAUSES = ["data_quality", "data_change", "learning_rate", "divergence", "non_finite", "overfitting", "plateau",
          "clean"]
CURVES = ["train/loss", "val/accuracy", "val/loss", "lr"]
ACTION_WINDOW = 100  # steps after the first action of an incident in which repeats count


class _AllHooks(dict):
    """Monitor hooks that route every advice kind (known or not) to one recorder."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def get(self, key, default=None):
        return self.fn


def _clean_number(x):
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return x


def _sev(a):
    return SEVERITY.get(a.get("severity"), 0)


def _alarm_key(a):
    return (a.get("type"), a.get("metric"), a.get("step"), a.get("batch"), a.get("severity"))


def run_spec(spec, corpus, client, out, split, keep):
    record = {"id": spec["id"], "cause": spec["cause"], "spec": spec, "modes": {}}
    for mode in ("ignored", "applied"):
        run_dir = os.path.join(out, "runs", spec["id"], mode)
        shutil.rmtree(run_dir, ignore_errors=True)
        os.makedirs(run_dir)
        mon = Monitor(f"{spec['id']}-{mode}", project=split, config=config_for(spec), client=client, wait=False)
        trainer = Trainer(spec, corpus, run_dir, mode, monitor=mon)
        mon.hooks = _AllHooks(trainer.on_action)
        mon.start()
        t0 = time.time()
        status = "failed"
        try:
            result = trainer.run()
            status = "finished"
        finally:
            client.flush()
            mon.finish(status)
        wall = time.time() - t0
        stored = client.call("run.anomalies", run=mon.run_id)["anomalies"]
        live = {}
        for a in list(mon.anomalies) + stored:
            live[_alarm_key(a)] = a
        actions = client.call("run.actions", run=mon.run_id)["actions"]
        entry = {
            "run_id": mon.run_id,
            "seconds": round(wall, 2),
            "final_val_accuracy": result["final_val_accuracy"],
            "stopped": result["stopped"],
            "rollbacks": result["rollbacks"],
            "iterations": result["iterations"],
            "superseded_advice": result["superseded"],
            "other_advice": result["other_advice"],
            "alarms": [{k: _clean_number(a.get(k)) for k in ("type", "metric", "step", "severity", "batch")}
                       for a in sorted(live.values(), key=lambda a: (a.get("step") or 0))],
            "server_actions": [{"kind": a["kind"], "trigger": a.get("trigger"), "step": a["step"]} for a in actions],
            "trainer_actions": trainer.actions,
        }
        if mode == "ignored":
            truth = truth_for(spec, trainer)
            record["truth"] = truth
            record["logged_steps"] = {k: [s for s, _ in v] for k, v in trainer.log.items()}
            params = {"run": mon.run_id, "data_dir": run_dir}
            if keep:
                params["output_dir"] = os.path.join(run_dir, "report")
            else:
                params["formats"] = ["json"]
            t1 = time.time()
            try:
                analysis = client.call("analyze.run", params)
            except Exception as error:  # a failed analysis is a miss, not a crash of the harness
                analysis = {"root_causes": [], "change_points": [], "key_finding": f"analyze.run failed: {error}"}
            record["analyze_seconds"] = round(time.time() - t1, 2)
            right, detail = judge_root_cause(truth, analysis)
            record["root_cause"] = {"right": right, **{k: _clean_number(v) if not isinstance(v, (dict, list)) else v
                                                      for k, v in detail.items()}}
            record["runmedic"] = runmedic(client, mon.run_id, run_dir, truth)
            record["change_points_said"] = [
                {"metric": c["metric"], "step": c["step"]} for c in analysis.get("change_points") or []
                if "batch" not in c and c.get("metric") in CURVES]
        record["modes"][mode] = entry
        if not keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    score_live(record)
    score_change_points(record)
    return record


# The peer ----------------------------------------------------------------------------------------

# runmedic's checks, as the causes they name (it has no data-level causes).
STORE_PATH = [None]  # the store of this evaluation, for `runclinic export`
RUNMEDIC = {"non_finite": "non_finite", "spikes": "divergence", "divergence": "divergence", "overfitting": "overfitting",
            "no_learning": "plateau", "lr_plateau": "plateau"}


def runmedic(client, run_id, folder, truth):
    """runmedic 0.1.1 (PyPI) on the same run, exported as the CSV it reads: right when it names an
    accepted cause (on a clean run: when it names none). None when runmedic is not installed."""
    try:
        import runmedic as _  # noqa: F401
    except ImportError:
        return None
    import subprocess
    path = os.path.join(folder, "run.csv")
    binary = os.environ.get("RUNCLINIC_BIN") or "runclinic"
    run = client.call("run.get", run=run_id)
    name, project = run["name"], run.get("project")
    done = subprocess.run([binary, "export", "--db", STORE_PATH[0], name, *(["--project", project] if project else []),
                           "--format", "csv", "--output", path], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        return {"right": False, "named": [], "error": done.stderr.strip()[:200]}
    done = subprocess.run([sys.executable, "-m", "runmedic", "diagnose", path, "--json"], capture_output=True, text=True, timeout=300)
    try:
        findings = json.loads(done.stdout)
    except ValueError:
        return {"right": False, "named": [], "error": (done.stderr or done.stdout).strip()[:200]}
    if isinstance(findings, dict):
        findings = findings.get("runs", [findings])
    named = sorted({RUNMEDIC[f["check"]] for run in findings for f in run.get("findings", []) if f.get("check") in RUNMEDIC})
    right = not named if truth["cause"] == "clean" else any(cause in truth["accepted"] for cause in named)
    return {"right": right, "named": named}


# Live --------------------------------------------------------------------------------------------

def score_live(record):
    truth = record["truth"]
    T = truth.get("T")
    faulted = truth["cause"] != "clean"
    live = {}
    for mode, entry in record["modes"].items():
        alarms = [a for a in entry["alarms"] if SEVERITY.get(a["severity"], 0) >= SEVERITY["warning"]]
        info = {"high_alarms": sum(1 for a in alarms if SEVERITY[a["severity"]] >= SEVERITY["high"]),
                "warning_alarms": len(alarms), "actions": len(entry["server_actions"]),
                "final_val_accuracy": entry["final_val_accuracy"]}
        if faulted and T is not None:
            after = [a["step"] for a in alarms if a["step"] is not None and a["step"] >= T]
            info["detected"] = bool(after)
            info["detected_any_severity"] = any(a["step"] is not None and a["step"] >= T for a in entry["alarms"])
            info["delay"] = (min(after) - T) if after else None
            info["pre_T_high_alarms"] = sum(1 for a in alarms if a["step"] is not None and a["step"] < T
                                            and SEVERITY[a["severity"]] >= SEVERITY["high"])
            info["actions_per_incident"] = actions_per_incident(entry, T, mode)
            info["stopped_before_T"] = bool(entry["stopped"] and not any(
                (a.get("step") or 0) >= T for a in entry["trainer_actions"]))
        live[mode] = info
    if faulted:
        ign, app = live["ignored"]["final_val_accuracy"], live["applied"]["final_val_accuracy"]
        live["applied_vs_ignored"] = "better" if app > ign + 0.005 else ("worse" if app < ign - 0.005 else "same")
    record["live"] = live


def actions_per_incident(entry, T, mode):
    """How many actions with the first one's trigger were issued within ACTION_WINDOW steps of
    the first action at or after T (ignored runs: by the server's steps, which only go forwards;
    applied runs: by the trainer's iterations, since rollbacks replay steps)."""
    if mode == "ignored":
        acts = [a for a in entry["server_actions"] if a["step"] >= T]
        if not acts:
            return 0
        first = acts[0]
        return sum(1 for a in acts if a["trigger"] == first["trigger"]
                   and a["step"] - first["step"] <= ACTION_WINDOW)
    acts = sorted((a for a in entry["trainer_actions"] if (a["step"] or 0) >= T), key=lambda a: a["iteration"])
    if not acts:
        return 0
    first = acts[0]
    return sum(1 for a in acts if a["trigger"] == first["trigger"]
               and a["iteration"] - first["iteration"] <= ACTION_WINDOW)


# Change points -------------------------------------------------------------------------------------

def score_change_points(record):
    out = {}
    for curve in CURVES:
        steps = record["logged_steps"].get(curve) or []
        n = len(steps)
        if n == 0:
            continue
        true = record["truth"]["change_points"].get(curve, [])
        said_steps = [c["step"] for c in record["change_points_said"] if c["metric"] == curve]
        said = steps_to_indices(said_steps, steps)
        out[curve] = {"n": n, "true": true, "said": said,
                      "f1": f_measure(true, said), "cover": covering(true, said, n),
                      "f1_nothing": f_measure(true, []), "cover_nothing": covering(true, [], n)}
    record["change_points"] = out


# Reporting -------------------------------------------------------------------------------------

def fmt(x, digits=3):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def report(records, split, seconds):
    lines = [f"runclinic real-run benchmark, split {split}: {len(records)} runs, {seconds:.0f} s", ""]
    # 1. root cause
    rows = []
    total_right = medic_right = 0
    for cause in CAUSES:
        rs = [r for r in records if r["cause"] == cause]
        if not rs:
            continue
        right = sum(r["root_cause"]["right"] for r in rs)
        total_right += right
        said = {}
        for r in rs:
            said[r["root_cause"]["said"]] = said.get(r["root_cause"]["said"], 0) + 1
        medic = [r["runmedic"]["right"] for r in rs if r.get("runmedic")]
        medic_right += sum(medic)
        rows.append([cause, len(rs), right, fmt(right / len(rs), 2),
                     ", ".join(f"{k} {v}" for k, v in sorted(said.items(), key=lambda kv: -kv[1])),
                     f"{sum(medic)}/{len(medic)}" if medic else "-"])
    rows.append(["overall", len(records), total_right, fmt(total_right / max(1, len(records)), 2), "",
                 f"{medic_right}/{sum(1 for r in records if r.get('runmedic'))}"])
    lines += ["1. Root cause (advice-ignored runs; runmedic 0.1.1 on the same runs as CSV beside)",
              table(["cause", "runs", "right", "rate", "verdicts", "runmedic right"], rows), ""]
    misses = [r for r in records if not r["root_cause"]["right"]]
    if misses:
        lines.append("Misses:")
        for r in misses:
            t, rc = r["truth"], r["root_cause"]
            truth = f"{t['cause']} (accepts {'/'.join(t['accepted']) or 'nothing'}) T={t.get('T')}"
            if t.get("defect"):
                truth += f" defect={t['defect']}"
            if t.get("batches"):
                truth += f" batches={t['batches']}"
            said = rc["said"]
            if rc.get("defect_said"):
                said += f" defect={rc['defect_said']}"
            if rc.get("batches_said"):
                said += f" batches={rc['batches_said']}"
            if rc.get("incident"):
                said += f" (incident {rc['incident'].get('kind')} {rc['incident'].get('metric')} @ {rc['incident'].get('step')})"
            if rc.get("all_said"):
                said += f" all={rc['all_said']}"
            if rc.get("why"):
                said += f" [{rc['why']}]"
            lines.append(f"  {r['id']}: truth {truth}")
            lines.append(f"      said {said}")
            lines.append(f"      key finding: {rc.get('key_finding', '')}")
        lines.append("")
    # 2. live
    rows = []
    for cause in CAUSES[:-1]:
        rs = [r for r in records if r["cause"] == cause]
        if not rs:
            continue
        row = [cause, len(rs), f"{sum(r['live']['ignored']['detected_any_severity'] for r in rs)}/{len(rs)}"]
        for mode in ("ignored", "applied"):
            det = [r["live"][mode] for r in rs]
            row += [f"{sum(d['detected'] for d in det)}/{len(det)}", fmt(median([d["delay"] for d in det]), 0)]
        row.append(sum(r["live"]["ignored"]["pre_T_high_alarms"] for r in rs))
        row.append(sum(1 for r in rs if r["live"]["applied"].get("stopped_before_T")))
        row.append(fmt(sum(r["live"]["ignored"]["actions_per_incident"] for r in rs) / len(rs), 1))
        row.append(fmt(sum(r["live"]["applied"]["actions_per_incident"] for r in rs) / len(rs), 1))
        cmp = [r["live"]["applied_vs_ignored"] for r in rs]
        row.append(f"{cmp.count('better')}/{cmp.count('same')}/{cmp.count('worse')}")
        row.append(fmt(sum(r["live"]["ignored"]["final_val_accuracy"] for r in rs) / len(rs), 3))
        row.append(fmt(sum(r["live"]["applied"]["final_val_accuracy"] for r in rs) / len(rs), 3))
        rows.append(row)
    lines += ["2. Live (alarm = anomaly of severity >= warning at or after T; delay in steps after T)",
              table(["cause", "runs", "any sev(ign)", "det(ign)", "delay(ign)", "det(app)", "delay(app)", "pre-T high(ign)",
                     "app stopped<T", "acts/inc(ign)", "acts/inc(app)", "app better/same/worse", "final acc ign", "final acc app"],
                    rows), ""]
    rows = []
    for r in records:
        if r["cause"] == "divergence":
            rows.append([r["id"], r["truth"]["T"], fmt(r["live"]["ignored"]["delay"]), fmt(r["live"]["applied"]["delay"]),
                         "yes" if (r["live"]["ignored"]["delay"] is not None and r["live"]["ignored"]["delay"] < 200) else "no"])
    if rows:
        lines += ["Divergence: steps from the start of the divergence to the first alarm (goal < 200)",
                  table(["run", "T", "ignored", "applied", "< 200"], rows), ""]
    rows = []
    for r in records:
        if r["cause"] == "clean":
            li, la = r["live"]["ignored"], r["live"]["applied"]
            rows.append([r["id"], li["high_alarms"], la["high_alarms"], li["warning_alarms"], li["actions"], la["actions"],
                         fmt(li["final_val_accuracy"]), fmt(la["final_val_accuracy"])])
    if rows:
        total = sum(r[1] for r in rows)
        lines += [f"Clean runs: high/critical alarms (goal 0): {total} in the advice-ignored runs",
                  table(["run", "high+ (ign)", "high+ (app)", ">=warning (ign)", "actions (ign)", "actions (app)",
                         "final acc ign", "final acc app"], rows), ""]
    # 3. change points
    rows = []
    for curve in CURVES:
        cs = [r["change_points"][curve] for r in records if curve in r["change_points"]]
        if not cs:
            continue
        withcp = [c for c in cs if c["true"]]
        def avg(items, key):
            return sum(c[key] for c in items) / len(items) if items else None
        rows.append([curve, len(cs), len(withcp), sum(len(c["true"]) for c in cs), sum(len(c["said"]) for c in cs),
                     fmt(avg(cs, "f1")), fmt(avg(cs, "f1_nothing")), fmt(avg(cs, "cover")), fmt(avg(cs, "cover_nothing")),
                     fmt(avg(withcp, "f1")), fmt(avg(withcp, "f1_nothing")), fmt(avg(withcp, "cover")),
                     fmt(avg(withcp, "cover_nothing"))])
    allc = [c for r in records for c in r["change_points"].values()]
    if allc:
        rows.append(["all", len(allc), sum(1 for c in allc if c["true"]), sum(len(c["true"]) for c in allc),
                     sum(len(c["said"]) for c in allc),
                     fmt(sum(c["f1"] for c in allc) / len(allc)), fmt(sum(c["f1_nothing"] for c in allc) / len(allc)),
                     fmt(sum(c["cover"] for c in allc) / len(allc)), fmt(sum(c["cover_nothing"] for c in allc) / len(allc)),
                     "", "", "", ""])
    lines += ["3. Change points (TCPD: F1 with a 5-observation margin, covering; advice-ignored runs)",
              table(["curve", "series", "with true cp", "true cps", "said cps", "F1", "F1 nothing", "cover",
                     "cover nothing", "F1|cp", "F1 nothing|cp", "cover|cp", "cover nothing|cp"], rows), ""]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["tune", "probe", "heldout"], required=True,
                        help="tune and probe are tuned on; heldout never is")
    parser.add_argument("--out", required=True, help="working folder (store, images, results)")
    parser.add_argument("--only", help="only runs of this cause")
    parser.add_argument("--run", help="only runs whose id contains this")
    parser.add_argument("--keep", action="store_true", help="keep the store, images, checkpoints and reports")
    parser.add_argument("--json", help="write the results here (default: OUT/results-SPLIT.json)")
    args = parser.parse_args(argv)

    module = importlib.import_module(f"{args.split}_variants")
    specs = module.variants()
    if args.only:
        specs = [s for s in specs if s["cause"] == args.only]
    if args.run:
        specs = [s for s in specs if args.run in s["id"]]
    if not specs:
        parser.error("no runs selected")
    os.makedirs(args.out, exist_ok=True)
    db = os.path.join(args.out, f"store-{args.split}.db")
    STORE_PATH[0] = db
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    started = time.time()
    corpus = Corpus(seed=module.CORPUS_SEED)
    client = Client.spawn(db=db)
    records = []
    try:
        for k, spec in enumerate(specs):
            t0 = time.time()
            record = run_spec(spec, corpus, client, args.out, args.split, args.keep)
            records.append(record)
            rc = record["root_cause"]
            print(f"[{k + 1}/{len(specs)}] {spec['id']:<28} {spec['cause']:<13} said {rc['said']:<15} "
                  f"{'right' if rc['right'] else 'MISS '}  {time.time() - t0:5.1f} s", flush=True)
    finally:
        client.close()
    seconds = time.time() - started
    text = report(records, args.split, seconds)
    print()
    print(text)
    path = args.json or os.path.join(args.out, f"results-{args.split}.json")
    with open(path, "w") as handle:
        json.dump({"split": args.split, "seconds": round(seconds, 1), "binary": os.environ.get("RUNCLINIC_BIN"),
                   "runs": records}, handle, indent=1, default=_clean_number)
    with open(os.path.join(args.out, f"report-{args.split}.txt"), "w") as handle:
        handle.write(text + "\n")
    if not args.keep:
        shutil.rmtree(os.path.join(args.out, "runs"), ignore_errors=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
    print(f"results: {path}")


if __name__ == "__main__":
    main()
