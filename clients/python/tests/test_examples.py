"""The bundled examples run end to end against the real server."""

import math
import os
import pathlib
import subprocess
import sys

from runclinic import Client

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def run_example(script, *args, binary):
    env = dict(os.environ, RUNCLINIC_BIN=binary)
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_numpy_training_recovers_from_a_learning_rate_blow_up_only_when_monitored(binary, db):
    alone = run_example("numpy_lr_blowup.py", "--no-monitor", binary=binary)
    assert math.isnan(float(alone.strip().split()[-1]))
    monitored = run_example("numpy_lr_blowup.py", "--db", str(db), "--name", "blowup", binary=binary)
    final = float(monitored.strip().splitlines()[-1].split()[-1])
    assert final < 0.2
    assert "rollback to step00550.npz" in monitored
    with Client.spawn(db=db, binary=binary) as client:
        actions = client.call("run.actions", run="blowup")["actions"]
        assert actions and all(action["kind"] == "rollback" for action in actions)
        assert actions[0]["checkpoint"]["step"] == 550
        run = client.call("run.get", run="blowup")
        assert run["status"] == "finished"


def test_demo_training_script(binary, db):
    output = run_example("train_demo.py", "--db", str(db), "--steps", "600", "--eval-every", "100", binary=binary)
    assert "stored 1212 metric points, 96 validation batch records, 6 checkpoints" in output


def test_the_handbook_demo_tells_its_story_end_to_end(binary, tmp_path):
    out = tmp_path / "demo"
    output = run_example("handbook_demo.py", "--out", str(out), binary=binary)
    assert "64 images: 4 blurry, 16 rotated, 4 truncated" in output
    assert "Key finding: val/recall fell from 0.88 to 0.71 at step 2049. Primary cause: rotated images concentrated in validation batches 12-15" in output
    assert "truncated in batch 9, blurry in batch 5" in output
    for kind, name in [("md", "receipts-demo_report.md"), ("html", "receipts-demo_report.html"), ("json", "receipts-demo_summary.json")]:
        assert f"{kind} report: {out / 'reports' / name}" in output and (out / "reports" / name).exists()
