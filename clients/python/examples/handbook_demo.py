"""The handbook's story end to end, standard library only: a receipt dataset with some rotated,
blurred and cut-off scans in its validation set, a monitored training run whose validation recall
drops once the batches holding them are evaluated, the audit, and the analysis with its reports.

    python clients/python/examples/handbook_demo.py --out out/demo

The server binary is found on PATH or in $RUNCLINIC_BIN.
"""

import argparse
import math
import pathlib
import random
import shutil
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from runclinic import Client, Monitor  # noqa: E402
import demo_dataset  # noqa: E402

BATCHES, BATCH_SIZE = 16, 4
DEFECTS = {12: "rotated", 13: "rotated", 14: "rotated", 15: "rotated", 5: "blurry", 9: "truncated"}
# How much recall a batch loses once the model is fine-tuned on upright, sharp crops only.
LOSS_BY_DEFECT = {"rotated": 0.55, "blurry": 0.3, "truncated": 0.4}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="out/demo")
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--eval-every", type=int, default=128)
    parser.add_argument("--drop-at", type=int, default=2049)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    out = pathlib.Path(args.out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    data = out / "data"

    print(f"1. writing the dataset: {BATCHES * BATCH_SIZE} receipt scans in {BATCHES} validation batches under {data}")
    batches = demo_dataset.write(data, BATCHES, BATCH_SIZE, DEFECTS)

    print(f"2. training for {args.steps} steps, the validation set evaluated batch by batch every {args.eval_every} steps")
    rng = random.Random(args.seed)
    config = {"model": "dbnet-r18", "optimizer": {"name": "adam", "lr": 1e-3}, "batch_size": 16, "seed": args.seed}
    with Monitor("receipts-demo", project="receipts", config=config, db=out / "runs.db", wait=False) as mon:
        for step in range(1, args.steps + 1):
            loss = 0.3 + 2.0 * math.exp(-step / 700) + rng.gauss(0, 0.02)
            mon.log({"train/loss": loss, "lr": 1e-3}, step=step)
            if (step - 1) % args.eval_every == 0 or step == args.steps:
                recalls = []
                for index, paths in enumerate(batches):
                    recall = 0.6 + 0.29 * (1 - math.exp(-step / 500)) + rng.gauss(0, 0.008)
                    if step >= args.drop_at and index in DEFECTS:
                        recall -= LOSS_BY_DEFECT[DEFECTS[index]]
                    recalls.append(recall)
                    mon.batch(step, index, {"val/recall": recall}, samples=paths)
                mon.log({"val/recall": sum(recalls) / len(recalls)}, step=step, wait=True)
                mon.checkpoint(step, f"checkpoints/step{step:06d}.pt")
        run_id = mon.run_id

    with Client.spawn(db=out / "runs.db") as client:
        print(f"3. auditing {data}")
        audit = client.call("audit.run", path=str(data))
        counts = ", ".join(f"{count} {issue}" for issue, count in sorted(audit["counts"].items())) or "nothing"
        print(f"   {audit['images']} images: {counts}")
        print("4. analysing the run")
        analysis = client.call("analyze.run", run=run_id, data_dir=str(data), output_dir=str(out / "reports"))
    print()
    print(f"Key finding: {analysis['key_finding']}")
    top = analysis["root_causes"][0]["hypotheses"][0] if analysis["root_causes"] else None
    if top:
        for line in top["evidence"][1:]:
            print(f"  - {line}")
    for advice in analysis["summary"]["recommendations"][:2]:
        print(f"Recommendation: {advice}")
    for kind, path in sorted(analysis["reports"].items()):
        print(f"{kind} report: {path}")


if __name__ == "__main__":
    main()
