"""Builds run specs for the variant files (tune_variants.py, heldout_variants.py).

A variant file lists runs; each draws its own step T, batch choice and strengths from its seed,
so the two splits differ in seeds as well as in the fault variants and strengths they use."""

import numpy as np

DEFAULT_LR = {"adam": 2e-3, "momentum": 0.02, "sgd": 0.08}


def spec(run_id, cause, seed, *, steps=1000, eval_every=25, n_batches=10, val_batch=32, fmt="png",
         hidden=64, optimizer="adam", lr=None, train_batch=32, schedule=None, fault=None, accepted=None):
    return {
        "id": run_id,
        "cause": cause,
        "accepted": accepted or ([] if cause == "clean" else [cause]),
        "seed": seed,
        "steps": steps,
        "eval_every": eval_every,
        "n_batches": n_batches,
        "val_batch": val_batch,
        "fmt": fmt,
        "model": {"hidden": hidden, "optimizer": optimizer, "lr": lr or DEFAULT_LR[optimizer],
                  "train_batch": train_batch},
        "schedule": schedule or {"kind": "constant"},
        "fault": fault,
    }


def draw_T(seed, steps, lo=0.35, hi=0.65, align=1):
    """A fault step inside [lo, hi] of the run, drawn from the seed."""
    rng = np.random.default_rng([seed, 77])
    t = int(rng.uniform(lo, hi) * steps)
    return t - t % align + (align // 3 if align > 1 else 0)


def config_for(spec):
    """The config a trainer passes to run.start."""
    m = spec["model"]
    return {
        "lr": m["lr"],
        "optimizer": m["optimizer"],
        "hidden": m["hidden"],
        "batch_size": m["train_batch"],
        "schedule": spec["schedule"],
        "seed": spec["seed"],
        "steps": spec["steps"],
        "experiment_monitoring": {"primary_metric": "val/accuracy"},
    }
