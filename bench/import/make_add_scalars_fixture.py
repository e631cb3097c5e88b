#!/usr/bin/env python3
"""Write TensorBoard runs that use add_scalars, with tensorboardX 2.6.5:

* `tensorboard_add_scalars/tbx`: `add_scalars("loss", {"train": ..., "val": ...})` as tensorboardX
  writes it (subfolders `loss/train`, `loss/val` holding the tag "loss") beside `add_scalar("lr")`;
* `tensorboard_add_scalars/torch`: PyTorch's layout of the same call (subfolders `loss_train`,
  `loss_val`, tag "loss"), written with tensorboardX writers into those folders.

Values: train = `train/loss` of make_fixtures.py, val = `train/acc`, lr = `lr` (first 20 steps).

    python make_add_scalars_fixture.py --out FIXTURE_DIR
"""
import argparse
import os

from make_fixtures import values


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    from tensorboardX import SummaryWriter
    rows = values(200)[:20]
    base = os.path.join(a.out, "tensorboard_add_scalars")
    writer = SummaryWriter(logdir=os.path.join(base, "tbx"))
    for step, row in enumerate(rows):
        writer.add_scalars("loss", {"train": row["train/loss"], "val": row["train/acc"]}, step)
        writer.add_scalar("lr", row["lr"], step)
    writer.close()
    main_writer = SummaryWriter(logdir=os.path.join(base, "torch"))
    sub = {key: SummaryWriter(logdir=os.path.join(base, "torch", "loss_" + key)) for key in ("train", "val")}
    for step, row in enumerate(rows):
        sub["train"].add_scalar("loss", row["train/loss"], step)
        sub["val"].add_scalar("loss", row["train/acc"], step)
        main_writer.add_scalar("lr", row["lr"], step)
    for writer in (main_writer, *sub.values()):
        writer.close()


if __name__ == "__main__":
    main()
