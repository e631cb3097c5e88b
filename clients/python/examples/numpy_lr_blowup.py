"""A real NumPy training (a two-layer network, no framework) that a learning-rate bug sends to
NaN: monitored by runclinic it rolls back to its best checkpoint with a lower learning rate and
recovers; unmonitored it is ruined.

    python clients/python/examples/numpy_lr_blowup.py --db runs.db            # monitored
    python clients/python/examples/numpy_lr_blowup.py --no-monitor            # the same bug, alone

The bug: from step 600 a misconfigured warm restart multiplies the learning rate by 40.
"""

import argparse
import os
import pathlib
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from runclinic import Monitor  # noqa: E402

BASE_LR = 0.05
BUG_STEP = 600
BUG_FACTOR = 40.0


def make_data(seed):
    rng = np.random.default_rng(seed)
    w1, w2 = rng.normal(size=(20, 16)), rng.normal(size=(16, 1))
    x = rng.normal(size=(3000, 20))
    y = np.tanh(x @ w1 * 0.3) @ w2 + 0.1 * rng.normal(size=(3000, 1))
    return (x[:2500], y[:2500]), (x[2500:], y[2500:])


class Network:
    def __init__(self, seed):
        rng = np.random.default_rng(seed + 1)
        self.params = {"w1": rng.normal(scale=0.2, size=(20, 32)), "b1": np.zeros(32),
                       "w2": rng.normal(scale=0.2, size=(32, 1)), "b2": np.zeros(1)}

    def loss_and_gradients(self, x, y):
        p = self.params
        hidden = np.tanh(x @ p["w1"] + p["b1"])
        error = hidden @ p["w2"] + p["b2"] - y
        loss = float(np.mean(error ** 2))
        d_out = 2 * error / len(x)
        d_hidden = (d_out @ p["w2"].T) * (1 - hidden ** 2)
        return loss, {"w1": x.T @ d_hidden, "b1": d_hidden.sum(0), "w2": hidden.T @ d_out, "b2": d_out.sum(0)}

    def loss(self, x, y):
        with np.errstate(all="ignore"):
            return self.loss_and_gradients(x, y)[0]

    def step(self, gradients, lr):
        for name, gradient in gradients.items():
            self.params[name] -= lr * gradient

    def save(self, path):
        np.savez(path, **self.params)

    def load(self, path):
        with np.load(path) as saved:
            self.params = {name: saved[name].copy() for name in saved.files}


def train(steps, monitor=None, checkpoints=None, seed=0, log=print):
    (x, y), (x_val, y_val) = make_data(seed)
    net = Network(seed)
    rng = np.random.default_rng(seed + 2)
    lr_scale = 1.0
    step = 0
    while step < steps:
        step += 1
        lr = BASE_LR * lr_scale * (BUG_FACTOR if step >= BUG_STEP else 1.0)
        batch = rng.integers(0, len(x), 64)
        with np.errstate(all="ignore"):
            loss, gradients = net.loss_and_gradients(x[batch], y[batch])
            net.step(gradients, lr)
        action = monitor.log({"train/loss": loss, "lr": lr}, step=step) if monitor else None
        if step % 50 == 0:
            val_loss = net.loss(x_val, y_val)
            if monitor:
                action = action or monitor.log({"val/loss": val_loss}, step=step)
                if np.isfinite(val_loss):
                    path = os.path.join(checkpoints, f"step{step:05d}.npz")
                    net.save(path)
                    monitor.checkpoint(step, path, metrics={"val/loss": val_loss})
        if action is None:
            continue
        if action.kind == "rollback" and action.checkpoint:
            net.load(action.checkpoint_path)
            lr_scale *= action.lr_factor
            log(f"step {step}: {action.kind} to {os.path.basename(action.checkpoint_path)} "
                f"(step {action.checkpoint_step}), learning rate x{lr_scale:g}")
            step = action.checkpoint_step
        elif action.kind == "reduce_lr":
            lr_scale *= action.lr_factor
            log(f"step {step}: learning rate x{lr_scale:g}")
        elif action.kind == "stop":
            log(f"step {step}: stop: {action.reason}")
            break
    return net.loss(x_val, y_val)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="runclinic.db")
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--no-monitor", action="store_true")
    parser.add_argument("--name", default=f"numpy-blowup-{os.getpid()}")
    args = parser.parse_args()
    if args.no_monitor:
        final = train(args.steps)
        print(f"unmonitored: final validation loss {final:.4f}")
        return
    with tempfile.TemporaryDirectory() as checkpoints:
        config = {"lr": BASE_LR, "experiment_monitoring": {"auto_recovery": {"max_rollbacks": 5}}}
        with Monitor(args.name, project="examples", config=config, db=args.db) as mon:
            final = train(args.steps, monitor=mon, checkpoints=checkpoints)
            mon.log({"val/final_loss": final}, step=args.steps + 1)
    print(f"monitored: final validation loss {final:.4f}")


if __name__ == "__main__":
    main()
