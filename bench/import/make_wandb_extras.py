#!/usr/bin/env python3
"""Write wandb 0.31.0 offline runs that exercise what the fixture run does not:

* `wandb_extras/updated`: config changed after init (`run.config.update`, a Record.config update),
  a nested dict logged (`{"val": {"acc": ...}}`), an integer, a boolean and a string logged beside
  the numbers, a 100 kB config string (a record spanning blocks), `run.finish(exit_code=1)`;
* `wandb_extras/crashed`: a training process killed with `os._exit` after 1,111 steps, without
  `finish()` (no exit record; wandb-core may not have flushed the last block).

    python make_wandb_extras.py --out FIXTURE_DIR
"""
import argparse
import os
import subprocess
import sys


def updated(directory):
    import wandb
    run = wandb.init(project="extras", name="updated", dir=directory, mode="offline",
                     config={"lr": 0.001, "notes": "x" * 100_000}, settings=wandb.Settings(x_disable_stats=True, console="off"))
    run.config.update({"lr": 0.002, "scheduler": "cosine"}, allow_val_change=True)
    for step in range(50):
        run.log({"val": {"acc": step / 100}, "epoch": step // 10, "done": step == 49, "phase": "train",
                 "loss": 1.0 / (step + 1)}, step=step)
    run.finish(exit_code=1)


def crashed(directory):
    import wandb
    run = wandb.init(project="extras", name="crashed", dir=directory, mode="offline",
                     settings=wandb.Settings(x_disable_stats=True, console="off"))
    for step in range(1111):
        run.log({"loss": 1.0 / (step + 1), "acc": step / 1111, "lr": 1e-3}, step=step)
    os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", choices=["updated", "crashed"])
    a = ap.parse_args()
    os.environ.update(WANDB_MODE="offline", WANDB_SILENT="true")
    if a.only:
        directory = os.path.join(a.out, "wandb_extras", a.only)
        os.makedirs(directory, exist_ok=True)
        {"updated": updated, "crashed": crashed}[a.only](directory)
        return
    for name in ("updated", "crashed"):
        subprocess.run([sys.executable, __file__, "--out", a.out, "--only", name], check=False)


if __name__ == "__main__":
    main()
