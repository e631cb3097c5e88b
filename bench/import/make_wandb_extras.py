#!/usr/bin/env python3
"""Write wandb 0.31.0 offline runs that exercise what the fixture run does not:

* `wandb_extras/updated`: config changed after init (`run.config.update`, a Record.config update),
  a nested dict logged (`{"val": {"acc": ...}}`), an integer, a boolean and a string logged beside
  the numbers, a 100 kB config string (a record spanning blocks), `run.finish(exit_code=1)`;
* `wandb_extras/crashed`: a training process killed with `os._exit` after 1,111 steps, without
  `finish()` (no exit record; wandb-core may not have flushed the last block);
* `wandb_extras/media`: a `wandb.Image` and a `wandb.Table` logged beside the numbers every tenth
  step, and a summary value set by hand (`run.summary["best_acc"]`);
* `wandb_extras/resumed`: one run (one id) trained in two processes, `resume="allow"`: two offline
  folders, steps 0-29 then 30-59.

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


def media(directory):
    import numpy
    import wandb
    run = wandb.init(project="extras", name="media", dir=directory, mode="offline",
                     settings=wandb.Settings(x_disable_stats=True, console="off"))
    for step in range(30):
        row = {"loss": 1.0 / (step + 1), "acc": step / 30}
        if step % 10 == 0:
            row["img"] = wandb.Image(numpy.full((8, 8, 3), step * 8, dtype=numpy.uint8))
            row["tab"] = wandb.Table(columns=["a", "b"], data=[[step, 1.5], [step + 1, 2.5]])
        run.log(row, step=step)
    run.summary["best_acc"] = 0.97
    run.finish()


def resumed(directory):
    import wandb
    for first, last in ((0, 30), (30, 60)):
        run = wandb.init(project="extras", name="resumed", id="resumed01", resume="allow", dir=directory,
                         mode="offline", settings=wandb.Settings(x_disable_stats=True, console="off"),
                         config={"lr": 0.01})
        for step in range(first, last):
            run.log({"loss": 1.0 / (step + 1)}, step=step)
        run.finish()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", choices=["updated", "crashed", "media", "resumed"])
    a = ap.parse_args()
    os.environ.update(WANDB_MODE="offline", WANDB_SILENT="true")
    if a.only:
        directory = os.path.join(a.out, "wandb_extras", a.only)
        os.makedirs(directory, exist_ok=True)
        {"updated": updated, "crashed": crashed, "media": media, "resumed": resumed}[a.only](directory)
        return
    for name in ("updated", "crashed", "media", "resumed"):
        subprocess.run([sys.executable, __file__, "--out", a.out, "--only", name], check=False)


if __name__ == "__main__":
    main()
