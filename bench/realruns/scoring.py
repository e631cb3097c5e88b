"""Scoring: the root-cause verdict, the Turing Change Point Dataset metrics (van den Burg &
Williams 2020: F1 with a margin, index 0 a change point on both sides; covering), live figures."""

import math

SEVERITY = {"info": 0, "warning": 1, "high": 2, "critical": 3}

DEFECT_SYNONYMS = {
    "rotated": {"rotated", "exif_rotated", "rotation", "orientation"},
    "dark": {"dark", "underexposed", "too_dark"},
    "blurry": {"blurry", "blur", "blurred"},
    "skewed": {"skewed", "skew", "tilted"},
    "overexposed": {"overexposed", "washed_out", "washedout", "bright", "too_bright"},
    "truncated": {"truncated", "unreadable", "corrupt", "corrupted"},
}


def _norm(text):
    return str(text or "").strip().lower().replace("-", "_").replace(" ", "_")


def defect_matches(truth_defect, said):
    said = _norm(said)
    return bool(said) and (said in DEFECT_SYNONYMS.get(truth_defect, {truth_defect}) or said == truth_defect)


# Root cause --------------------------------------------------------------------------------------

def verdict(analysis):
    """(hypothesis, incident) runclinic puts first: `primary` when the result has one, else the
    first root cause of the first incident. (None, None) when nothing is reported."""
    primary = analysis.get("primary")
    if isinstance(primary, dict) and primary:
        hyp = primary.get("hypothesis")
        if hyp is None and primary.get("hypotheses"):
            hyp = primary["hypotheses"][0]
        if hyp is None and "cause" in primary:
            hyp = primary
        if hyp is not None:
            return hyp, primary.get("incident")
    for rc in analysis.get("root_causes") or []:
        if rc.get("hypotheses"):
            return rc["hypotheses"][0], rc.get("incident")
    return None, None


def judge_root_cause(truth, analysis):
    hyp, incident = verdict(analysis)
    said = hyp.get("cause") if hyp else None
    detail = {"said": said or "nothing", "incident": incident, "defect_said": hyp.get("defect") if hyp else None,
              "batches_said": hyp.get("batches") if hyp else None,
              "key_finding": analysis.get("key_finding", "")}
    if truth["cause"] == "clean":
        tops = {said} if said else set()
        for rc in analysis.get("root_causes") or []:
            if rc.get("hypotheses"):
                tops.add(rc["hypotheses"][0].get("cause"))
        detail["all_said"] = sorted(t for t in tops if t)
        return tops <= {"unexplained"}, detail
    if said not in truth["accepted"]:
        return False, detail
    if said == "data_quality" and truth["cause"] == "data_quality":
        if not defect_matches(truth.get("defect"), hyp.get("defect")):
            detail["why"] = "wrong defect"
            return False, detail
        named = set(hyp.get("batches") or [])
        true = set(truth.get("batches") or [])
        if len(named & true) < math.ceil(len(true) / 2):
            detail["why"] = "too few of the true batches named"
            return False, detail
    return True, detail


# Change points (TCPD) ----------------------------------------------------------------------------

def _true_positives(T, X, margin):
    X = set(X)
    TP = set()
    for tau in sorted(T):
        close = sorted((abs(tau - x), x) for x in X if abs(tau - x) <= margin)
        if close:
            TP.add(tau)
            X.remove(close[0][1])
    return TP


def f_measure(truth, predictions, margin=5, alpha=0.5):
    T = set(truth) | {0}
    X = set(predictions) | {0}
    P = len(_true_positives(T, X, margin)) / len(X)
    R = len(_true_positives(T, X, margin)) / len(T)
    if P + R == 0:
        return 0.0
    return P * R / (alpha * R + (1 - alpha) * P)


def _partition(cps, n):
    bounds = sorted({c for c in cps if 0 < c < n})
    edges = [0] + bounds + [n]
    return [set(range(a, b)) for a, b in zip(edges, edges[1:]) if b > a]


def covering(truth, predictions, n):
    if n <= 0:
        return 1.0
    G = _partition(truth, n)
    P = _partition(predictions, n)
    total = 0.0
    for A in G:
        total += len(A) * max(len(A & B) / len(A | B) for B in P)
    return total / n


def steps_to_indices(cp_steps, steps):
    out = set()
    for s in cp_steps:
        for i, t in enumerate(steps):
            if t >= s:
                if i > 0:
                    out.add(i)
                break
    return sorted(out)


# Small helpers for tables ------------------------------------------------------------------------

def table(headers, rows):
    cells = [[str(h) for h in headers]] + [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for k, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def median(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    m = len(values) // 2
    return values[m] if len(values) % 2 else (values[m - 1] + values[m]) / 2
