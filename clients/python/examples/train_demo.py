"""A simulated training run logged to runclinic: standard library only.

Every step logs the training loss and learning rate (fire and forget); every `--eval-every` steps
the validation set is evaluated in batches, each batch logged with the image paths it held, and a
checkpoint is registered. Run it with the server binary on PATH or in $RUNCLINIC_BIN:

    python clients/python/examples/train_demo.py --db demo.db
"""

import argparse
import math
import os
import pathlib
import random
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from runclinic import Client, Monitor  # noqa: E402


def validation_batches(count, batch_size):
    """The validation set: image paths grouped in fixed batches, as a DataLoader would."""
    return [[f"data/val/receipt_{b * batch_size + i:05d}.jpg" for i in range(batch_size)] for b in range(count)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="runclinic.db")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--eval-every", type=int, default=250)
    parser.add_argument("--batches", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    random.seed(args.seed)
    config = {"model": "dbnet-r18", "optimizer": {"name": "adam", "lr": 1e-3}, "batch_size": 16, "seed": args.seed}
    batches = validation_batches(args.batches, args.batch_size)
    name = f"demo-{os.getpid()}"
    with Monitor(name, project="receipts", config=config, tags=["demo"], db=args.db, wait=False) as mon:
        lr = config["optimizer"]["lr"]
        for step in range(1, args.steps + 1):
            loss = 2.0 * math.exp(-step / 700) + 0.15 + random.gauss(0, 0.03)
            mon.log({"train/loss": loss, "lr": lr}, step=step)
            if step % args.eval_every == 0:
                progress = 1 - math.exp(-step / 900)
                recalls = []
                for index, paths in enumerate(batches):
                    recall = min(1.0, 0.55 + 0.38 * progress + random.gauss(0, 0.015))
                    recalls.append(recall)
                    mon.batch(step, index, {"val/recall": recall, "val/precision": recall + 0.02}, samples=paths)
                val = {"val/recall": sum(recalls) / len(recalls), "val/loss": loss * 1.1}
                mon.log(val, step=step, wait=True)
                mon.checkpoint(step, f"checkpoints/step{step:06d}.pt")
        run_id = mon.run_id

    with Client.spawn(db=args.db) as client:
        run = client.call("run.get", run=run_id)
    counts = run["counts"]
    best = run["best_checkpoint"]
    print(f"run {run['name']} (id {run_id}, project {run['project']}): {run['status']}")
    print(f"  stored {counts['points']} metric points, {counts['batches']} validation batch records, "
          f"{counts['checkpoints']} checkpoints")
    print(f"  metrics: {', '.join(run['metric_keys'])}")
    print(f"  best checkpoint: {best['path']} at step {best['step']} (val/recall {best['score']:.3f})")
    print(f"  store: {os.path.abspath(args.db)}")


if __name__ == "__main__":
    main()
