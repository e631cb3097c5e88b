#!/usr/bin/env python3
"""Score runclinic's image audit (and, if importable, CleanVision and fastdup) on a dataset
made by make_dataset.py.

    evaluate.py --data DIR [--peers cleanvision,fastdup] [--runclinic PATH]
                [--peer-python PATH] [--out results.json] [--md table.md]

Standard library only: the peers run in subprocesses of --peer-python (default
.venv-audit/bin/python in the repository), so a peer that crashes is recorded, not fatal.
Scoring rules: README.md beside this file.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SEV = {"info": 0, "warning": 1, "high": 2, "critical": 3}
ISSUES = ["unreadable", "truncated", "too_small", "odd_aspect_ratio", "blurry", "dark", "overexposed",
          "low_information", "grayscale", "rotated", "skewed", "duplicate", "near_duplicate"]
ALL_KNOWN = ISSUES + ["too_large", "odd_size", "exif_rotated"]


def default_runclinic():
    for p in (os.environ.get("RUNCLINIC"), os.environ.get("RUNCLINIC_BIN"), os.path.join(REPO, ".build/release/runclinic")):
        if p and os.path.exists(p):
            return p
    return None


# --------------------------------------------------------------------------------------
# Tools.  Each returns {"findings": {relpath: {issue: severity}}, "seconds": s, ...}
# --------------------------------------------------------------------------------------
def run_runclinic(binary, data):
    tmp = tempfile.mkdtemp(prefix="rc_audit_eval_")
    db, jl = os.path.join(tmp, "audit.db"), os.path.join(tmp, "findings.jsonl")
    cmd = [binary, "audit", data, "--db", db, "--jsonl", jl]
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.monotonic() - t0
    res = {"tool": "runclinic", "cmd": " ".join(cmd), "seconds": secs, "exit": p.returncode,
           "stdout_tail": p.stdout[-1500:], "stderr_tail": p.stderr[-1500:]}
    if not os.path.exists(jl):
        res["error"] = f"no findings file (exit {p.returncode})"
        res["findings"] = {}
        return res
    findings, sev_seen = {}, {}
    root = os.path.realpath(data)
    for line in open(jl):
        line = line.strip()
        if not line:
            continue
        d = json.loads(line)
        rel = os.path.relpath(os.path.realpath(d["path"]), root)
        iss, sev = d["issue"], d.get("severity", "warning")
        sev_seen.setdefault(iss, {}).setdefault(sev, 0)
        sev_seen[iss][sev] += 1
        cur = findings.setdefault(rel, {})
        if iss not in cur or SEV.get(sev, 1) > SEV.get(cur[iss], 1):
            cur[iss] = sev
    res["findings"] = findings
    res["severities_emitted"] = sev_seen
    shutil.rmtree(tmp, ignore_errors=True)
    return res


CLEANVISION_SCRIPT = r"""
import json, sys, time, os
t0 = time.monotonic()
from cleanvision import Imagelab
t1 = time.monotonic()
if len(sys.argv) > 4:
    # the retry after a crash: only the files Pillow can open and decode
    from PIL import Image
    ok = []
    for n in sorted(os.listdir(sys.argv[1])):
        f = os.path.join(sys.argv[1], n)
        try:
            with Image.open(f) as im:
                im.load()
            ok.append(f)
        except Exception:
            pass
    t1 = time.monotonic()
    lab = Imagelab(filepaths=ok)
else:
    lab = Imagelab(data_path=sys.argv[1])
lab.find_issues()
t2 = time.monotonic()
df = lab.issues
cols = [c for c in df.columns if c.startswith("is_") and c.endswith("_issue")]
out = {}
for path, row in df[cols].iterrows():
    hit = [c[3:-6] for c in cols if bool(row[c])]
    if hit:
        out[str(path)] = hit
json.dump({"import_seconds": t1 - t0, "seconds": t2 - t1, "n_indexed": int(len(df)), "hits": out}, open(sys.argv[2], "w"))
"""

FASTDUP_SCRIPT = r"""
import json, sys, time, os
os.environ.setdefault("SENTRY_OPT_OUT", "1")
t0 = time.monotonic()
import fastdup
t1 = time.monotonic()
fd = fastdup.create(work_dir=sys.argv[3], input_dir=sys.argv[1])
fd.run(overwrite=True, print_summary=False)
t2 = time.monotonic()
res = {"import_seconds": t1 - t0, "seconds": t2 - t1, "version": fastdup.__version__}
inv = fd.invalid_instances()
res["invalid"] = [str(f) for f in inv["filename"]] if len(inv) else []
sim = fd.similarity()
res["pairs"] = [[str(a), str(b), float(d)] for a, b, d in zip(sim["filename_from"], sim["filename_to"], sim["distance"])] if len(sim) else []
st = fd.img_stats()
res["stats"] = {str(f): [float(b), float(m)] for f, b, m in zip(st["filename"], st["blur"], st["mean"])} if len(st) else {}
json.dump(res, open(sys.argv[2], "w"))
"""

# fastdup has no per-image verdicts for these; we use the thresholds of its own
# FastdupController.summary() (blur < 150, mean > 253, mean < 4) and its log's
# "nearly identical" (d > 0.98) / "fully identical" (d > 0.99) similarity bands.
FD_BLUR, FD_BRIGHT, FD_DARK, FD_NEAR, FD_IDENT = 150.0, 253.0, 4.0, 0.98, 0.99
CV_MAP = {"blurry": "blurry", "dark": "dark", "light": "overexposed", "low_information": "low_information",
          "grayscale": "grayscale", "odd_aspect_ratio": "odd_aspect_ratio", "exact_duplicates": "duplicate",
          "near_duplicates": "near_duplicate", "odd_size": "odd_size"}


def rel_of(path, data):
    if os.path.isabs(path):
        p = path
    else:
        # a bare name is taken as inside DATA/images; fastdup 2.54 reports paths relative to the
        # working directory instead (e.g. bench/out/.../images/x.jpg when run from the repo)
        p = os.path.join(data, "images", path)
        if not os.path.exists(p) and os.path.exists(path):
            p = os.path.abspath(path)
    p = os.path.realpath(p)
    return os.path.relpath(p, os.path.realpath(data))


def run_peer(name, python, data, readable_only=False):
    tmp = tempfile.mkdtemp(prefix=f"{name}_eval_")
    outj = os.path.join(tmp, "out.json")
    script = CLEANVISION_SCRIPT if name == "cleanvision" else FASTDUP_SCRIPT
    cmd = [python, "-c", script, os.path.join(data, "images"), outj, os.path.join(tmp, "work")]
    if readable_only:
        cmd.append("readable-only")
    env = dict(os.environ, SENTRY_OPT_OUT="1", MPLBACKEND="Agg")
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.monotonic() - t0
    res = {"tool": name, "wall_seconds_incl_import": wall, "exit": p.returncode,
           "stderr_tail": p.stderr[-2000:]}
    if p.returncode != 0 or not os.path.exists(outj):
        res["error"] = f"crashed (exit {p.returncode})"
        res["findings"] = {}
        shutil.rmtree(tmp, ignore_errors=True)
        return res
    raw = json.load(open(outj))
    res["seconds"] = raw["seconds"]
    findings = {}

    def add(path, issue):
        findings.setdefault(rel_of(path, data), {})[issue] = "warning"
    if name == "cleanvision":
        res["n_indexed"] = raw["n_indexed"]
        for path, hits in raw["hits"].items():
            for h in hits:
                if h in CV_MAP:
                    add(path, CV_MAP[h])
    else:
        res["version"] = raw.get("version")
        for f in raw["invalid"]:
            add(f, "unreadable")
            add(f, "truncated")
        for a, b, d in raw["pairs"]:
            if d >= FD_NEAR:
                add(a, "near_duplicate"); add(b, "near_duplicate")
            if d >= FD_IDENT:
                add(a, "duplicate"); add(b, "duplicate")
        for f, (blur, mean) in raw["stats"].items():
            if blur < FD_BLUR:
                add(f, "blurry")
            if mean > FD_BRIGHT:
                add(f, "overexposed")
            if mean < FD_DARK:
                add(f, "dark")
        res["thresholds"] = {"blur<": FD_BLUR, "mean>": FD_BRIGHT, "mean<": FD_DARK,
                             "near_dup_similarity>=": FD_NEAR, "duplicate_similarity>=": FD_IDENT}
    res["findings"] = findings
    shutil.rmtree(tmp, ignore_errors=True)
    return res


# --------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------
def score(labels, meta, findings, min_sev="warning"):
    """Per issue: planted, TP, FP, recall, precision; clean images flagged."""
    m = SEV[min_sev]
    flags = {p: {i for i, s in f.items() if SEV.get(s, 1) >= m} for p, f in findings.items()}
    out = {}
    scene = {p for p, v in meta.items() if v["kind"] == "photo_rotated_scene"}
    issues = ISSUES + sorted({i for f in flags.values() for i in f} - set(ISSUES))
    for iss in issues:
        planted = {p for p, l in labels.items() if iss in l}
        flagged = {p for p, f in flags.items() if iss in f and p in labels}
        ok = {p for p, v in meta.items() if iss in v.get("also_ok", [])}
        tp = len(flagged & planted)
        fp = len(flagged - planted - ok)
        row = {"planted": len(planted), "flagged": len(flagged), "tp": tp, "fp": fp,
               "recall": tp / len(planted) if planted else None,
               "precision": tp / (tp + fp) if (tp + fp) else None}
        out[iss] = row
        if iss in ("duplicate", "near_duplicate"):
            # pair view: a planted pair is found when either of its images is flagged
            pairs = {tuple(sorted((q, meta[q]["params"]["pair"]))) for q in planted
                     if meta[q]["params"].get("pair") in planted}
            found = sum(1 for a, b in pairs if a in flagged or b in flagged)
            row["pairs"] = len(pairs)
            row["pairs_found"] = found
            row["pair_recall"] = found / len(pairs) if pairs else None
        if iss == "rotated":
            for nm, sub in (("rotated (documents)", planted - scene), ("rotated (scenes)", planted & scene)):
                t = len(flagged & sub)
                out[nm] = {"planted": len(sub), "tp": t, "recall": t / len(sub) if sub else None}
    clean = [p for p, l in labels.items() if not l]
    clean_flagged, by_issue = 0, {}
    for p in clean:
        bad = flags.get(p, set()) - set(meta.get(p, {}).get("also_ok", []))
        if bad:
            clean_flagged += 1
            for i in bad:
                by_issue[i] = by_issue.get(i, 0) + 1
    return {"per_issue": out, "clean_images": len(clean), "clean_flagged": clean_flagged,
            "clean_flagged_share": clean_flagged / len(clean) if clean else None,
            "clean_flagged_by_issue": dict(sorted(by_issue.items(), key=lambda kv: -kv[1]))}


def fmt(x, pct=True):
    if x is None:
        return "–"
    return f"{100 * x:.0f}%" if pct else f"{x}"


def table(results, n_images):
    tools = [r for r in results if "score" in r]
    head = "| issue | planted | " + " | ".join(f"{r['tool']} R | {r['tool']} P" for r in tools) + " |"
    sep = "|" + "---|" * (2 + 2 * len(tools))
    lines = [head, sep]
    rows = ISSUES[:ISSUES.index("rotated") + 1] + ["rotated (documents)", "rotated (scenes)"] + ISSUES[ISSUES.index("rotated") + 1:]
    for iss in rows:
        planted = tools[0]["score"]["per_issue"].get(iss, {}).get("planted", 0) if tools else 0
        cells = []
        for r in tools:
            s = r["score"]["per_issue"].get(iss, {})
            rec, prec = s.get("recall"), s.get("precision")
            extra = ""
            if r["tool"] == "runclinic":
                sa = r["score_any"]["per_issue"].get(iss, {})
                if sa.get("recall") != rec:
                    extra = f" ({fmt(sa.get('recall'))} incl. info)"
            cells.append(fmt(rec) + extra)
            cells.append(fmt(prec) if "(" not in iss else "")
        lines.append(f"| {iss} | {planted} | " + " | ".join(cells) + " |")
    for iss in ("duplicate", "near_duplicate"):
        cells = []
        for r in tools:
            s = r["score"]["per_issue"].get(iss, {})
            extra = ""
            if r["tool"] == "runclinic":
                sa = r["score_any"]["per_issue"].get(iss, {})
                if sa.get("pair_recall") != s.get("pair_recall"):
                    extra = f" ({fmt(sa.get('pair_recall'))} incl. info)"
            cells += [fmt(s.get("pair_recall")) + extra, ""]
        lines.append(f"| {iss} pairs (either image flagged) | {tools[0]['score']['per_issue'].get(iss, {}).get('pairs', 0) if tools else 0} | " + " | ".join(cells) + " |")
    # unplanted issues reported
    extra = sorted({i for r in tools for i in r["score"]["per_issue"] if i not in ISSUES and "(" not in i})
    for iss in extra:
        cells = []
        for r in tools:
            s = r["score"]["per_issue"].get(iss, {})
            cells += [f"{s.get('flagged', 0)} flagged", ""]
        lines.append(f"| {iss} (not planted) | 0 | " + " | ".join(cells) + " |")
    lines.append("| **clean images flagged** | " + str(tools[0]["score"]["clean_images"] if tools else 0) + " | " +
                 " | ".join(f"{r['score']['clean_flagged']} ({fmt(r['score']['clean_flagged_share'])}) | " for r in tools) + " |")
    lines.append("| **images/s** | " + str(n_images) + " | " +
                 " | ".join(f"{n_images / r['seconds']:.1f} | " if r.get("seconds") else "– | " for r in tools) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--peers", default="", help="comma-separated: cleanvision,fastdup")
    ap.add_argument("--runclinic", default=default_runclinic())
    ap.add_argument("--peer-python", default=os.path.join(REPO, ".venv-audit/bin/python"))
    ap.add_argument("--out", help="results JSON (default DATA/results.json)")
    ap.add_argument("--md", help="markdown table (default DATA/results.md)")
    args = ap.parse_args()
    data = os.path.abspath(args.data)
    labels = json.load(open(os.path.join(data, "labels.json")))
    meta = json.load(open(os.path.join(data, "meta.json")))
    n = len(labels)
    results = []
    if not args.runclinic:
        sys.exit("runclinic binary not found: pass --runclinic or set RUNCLINIC")
    print(f"runclinic audit on {n} images ...", file=sys.stderr, flush=True)
    r = run_runclinic(args.runclinic, data)
    results.append(r)
    for peer in [p.strip() for p in args.peers.split(",") if p.strip()]:
        if not os.path.exists(args.peer_python):
            results.append({"tool": peer, "error": f"peer python {args.peer_python} missing", "findings": {}})
            continue
        print(f"{peer} on {n} images ...", file=sys.stderr, flush=True)
        r = run_peer(peer, args.peer_python, data)
        if "error" in r and peer == "cleanvision":
            # CleanVision stops at the first file Pillow cannot identify; record the crash and
            # score a second run on the files Pillow can decode (it cannot see the broken ones).
            crash = {k: r[k] for k in ("error", "stderr_tail", "wall_seconds_incl_import")}
            print("cleanvision crashed; retrying on the files Pillow can decode ...", file=sys.stderr, flush=True)
            r = run_peer(peer, args.peer_python, data, readable_only=True)
            r["first_run_crash"] = crash
            r["tool"] = "cleanvision*"
        results.append(r)
    for r in results:
        if "error" in r and not r["findings"]:
            print(f"{r['tool']}: {r['error']}\n{r.get('stderr_tail', '')[-800:]}", file=sys.stderr)
            continue
        r["score"] = score(labels, meta, r["findings"], "warning")
        r["score_any"] = score(labels, meta, r["findings"], "info")
    md = table(results, n)
    notes = []
    for r in results:
        if "error" in r:
            notes.append(f"- {r['tool']}: {r['error']}")
        if "first_run_crash" in r:
            last = [l for l in r["first_run_crash"]["stderr_tail"].strip().splitlines() if l.strip()][-1:]
            notes.append(f"- cleanvision*: the run on the folder {r['first_run_crash']['error']} ({last[0][:160] if last else ''}); "
                         f"the column is a second run on the {r.get('n_indexed')} files Pillow can decode (time excludes that pre-check)")
        if r.get("seconds"):
            notes.append(f"- {r['tool']}: {r['seconds']:.1f} s wall-clock for {n} images"
                         + (f" ({r['wall_seconds_incl_import']:.1f} s including the interpreter and import)"
                            if "wall_seconds_incl_import" in r else " (first audit, fresh --db)"))
        if "score" in r and r["score"]["clean_flagged_by_issue"]:
            notes.append(f"  - {r['tool']} clean images flagged, by issue: " +
                         ", ".join(f"{k} {v}" for k, v in r["score"]["clean_flagged_by_issue"].items()))
    if results and results[0].get("severities_emitted"):
        notes.append("- runclinic severities emitted: " + ", ".join(
            f"{k}: " + "/".join(f"{s} {c}" for s, c in v.items()) for k, v in sorted(results[0]["severities_emitted"].items())))
    text = f"## {os.path.basename(data)}: {n} images\n\nR = recall, P = precision; runclinic counted at severity warning or worse (info shown in brackets where it differs).\n\n" + md + "\n\n" + "\n".join(notes) + "\n"
    print(text)
    out = args.out or os.path.join(data, "results.json")
    for r in results:
        r.pop("findings", None)
    json.dump({"data": data, "images": n, "results": results}, open(out, "w"), indent=1)
    open(args.md or os.path.join(data, "results.md"), "w").write(text)


if __name__ == "__main__":
    main()
