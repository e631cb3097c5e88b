"""Runs one real training with its fault, logged through runclinic's Python client as a trainer
would, and records the truth by construction.

A spec (see tune_variants.py / heldout_variants.py) is a dict:
  id, cause, seed, steps, eval_every, n_batches, val_batch, fmt ("png"/"jpg"),
  model: {hidden, optimizer, lr, train_batch}, schedule: {kind, ...}, fault: {kind, ...} or None.
Modes: "ignored" (the trainer only logs; advice is recorded) and "applied" (rollback, reduce_lr
and stop are carried out).
"""

import os

import numpy as np

from digits import (apply_defect, load_image, preprocess_page, render, write_image)
from model import MLP, Optimizer, Schedule

NUM_CLASSES = 10


class Corpus:
    """The digits rendered once per evaluation (ordinary writer), and their model inputs."""

    def __init__(self, seed=1234):
        from digits import load_digits_data

        self.images, self.targets = load_digits_data()
        rng = np.random.default_rng(seed)
        self.pages = np.stack([render(img, rng) for img in self.images])
        self.features = np.stack([preprocess_page(p) for p in self.pages])

    def __len__(self):
        return len(self.targets)


def _sub_rng(seed, *keys):
    return np.random.default_rng([seed, *keys])


class Trainer:
    def __init__(self, spec, corpus, run_dir, mode, monitor=None):
        self.spec, self.corpus, self.run_dir, self.mode = spec, corpus, run_dir, mode
        self.mon = monitor
        self.seed = spec["seed"]
        self.steps = spec["steps"]
        self.K = spec.get("eval_every", 25)
        self.fault = spec.get("fault") or {}
        self.fmt = spec.get("fmt", "png")
        rng = _sub_rng(self.seed, 1)
        n_val = spec["n_batches"] * spec.get("val_batch", 32)
        order = rng.permutation(len(corpus))
        self.val_idx = order[:n_val]
        rest = order[n_val:]
        if self.fault.get("kind") == "data_change" and self.fault.get("style") == "rare":
            rare = np.isin(corpus.targets[rest], self.fault["classes"])
            keep_rare = rest[rare][: max(2, int(rare.sum() * self.fault.get("keep", 0.08)))]
            self.spare = rest[rare][len(keep_rare):]
            rest = np.concatenate([rest[~rare], keep_rare])
            self.train_idx = rng.permutation(rest)
        else:
            self.spare = rest[:260]
            self.train_idx = rest[260:]
        X = corpus.features[self.train_idx]
        self.mean, self.std = X.mean(0), X.std(0) + 0.05
        m = spec["model"]
        self.model = MLP(X.shape[1], m["hidden"], NUM_CLASSES, _sub_rng(self.seed, 2), self.mean, self.std)
        self.opt = Optimizer(m["optimizer"], momentum=m.get("momentum", 0.9))
        self.schedule = Schedule(spec["schedule"]["kind"], m["lr"], self.steps,
                                 **{k: v for k, v in spec["schedule"].items() if k != "kind"})
        self.train_batch = m.get("train_batch", 32)
        # validation files on disk
        self.val_dir = os.path.join(run_dir, "val")
        self.ckpt_dir = os.path.join(run_dir, "ckpt")
        os.makedirs(self.val_dir, exist_ok=True)
        os.makedirs(self.ckpt_dir, exist_ok=True)
        self.labels = {}
        self.batches = []
        bs = spec.get("val_batch", 32)
        for b in range(spec["n_batches"]):
            paths = []
            for j, i in enumerate(self.val_idx[b * bs:(b + 1) * bs]):
                path = os.path.join(self.val_dir, f"b{b:02d}_{j:02d}_{i:04d}.{self.fmt}")
                write_image(path, corpus.pages[i], self.fmt)
                self.labels[path] = int(corpus.targets[i])
                paths.append(path)
            self.batches.append(paths)
        self.originals = {}
        self.fired = set()
        self.truth_batches = []
        self.truth_samples = []
        self.user_factor = 1.0
        self.pending = []
        self.actions = []  # (iteration, step, kind, trigger, lr_factor, applied)
        self.log = {"train/loss": [], "lr": [], "val/accuracy": [], "val/loss": []}  # (step, value) of this attempt line
        self.iteration = 0
        self.first_nan_step = None
        self.superseded = 0
        # A trainer that acts on advice waits for it (in order, at the step it concerns); one that
        # ignores it logs fire-and-forget.
        self.sync = mode == "applied"
        self.other_advice = 0
        self.applied = []

    # Fault mechanics --------------------------------------------------------------------------

    def lr_at(self, step):
        lr = self.schedule(step)
        f = self.fault
        kind = f.get("kind")
        T = f.get("T", 10 ** 9)
        if kind == "lr_mult" and step >= T and step < f.get("T2", 10 ** 9):
            lr *= f["mult"]
        elif kind == "lr_ramp" and step >= T:
            x = min(1.0, (step - T) / f["over"])
            shape = x if f.get("shape", "linear") == "linear" else 0.5 * (1 - np.cos(np.pi * x))
            lr *= 1 + (f["to"] - 1) * shape
        elif kind == "lr_inf" and step >= T:
            lr = float("inf")
        elif kind == "lr_zero" and step >= T:
            lr = 0.0
        return lr * self.user_factor

    def train_pool(self, step):
        f = self.fault
        if f.get("kind") == "tiny_train" and step >= f.get("T", 0):
            return self.train_idx[: f["n"]]
        return self.train_idx

    def fire_events(self, step):
        f = self.fault
        kind = f.get("kind")
        if kind not in ("files_damaged", "new_defective_files", "data_change"):
            return
        if "T" not in self.fired and step >= f["T"]:
            self.fired.add("T")
            rng = _sub_rng(self.seed, 3)
            chosen = sorted(rng.choice(len(self.batches), size=f["n_bad"], replace=False).tolist())
            spare = list(rng.permutation(self.spare))
            for b in chosen:
                frac = rng.uniform(*f["frac"])
                k = max(1, int(round(frac * len(self.batches[b]))))
                slots = sorted(rng.choice(len(self.batches[b]), size=k, replace=False).tolist())
                self.originals[b] = list(self.batches[b])
                for j in slots:
                    old = self.batches[b][j]
                    if kind == "files_damaged":
                        i = int(os.path.basename(old).split("_")[2].split(".")[0])
                        page = apply_defect(self.corpus.pages[i], f["defect"], rng, f.get("strength"))
                        trunc = rng.uniform(0.2, 0.5) if f["defect"] == "truncated" else None
                        write_image(old, page, self.fmt, truncate=trunc)  # overwritten in place
                        self.truth_samples.append(old)
                    else:
                        i = int(spare.pop())
                        sub = "val_v2" if kind == "new_defective_files" else "val_new"
                        os.makedirs(os.path.join(self.run_dir, sub), exist_ok=True)
                        path = os.path.join(self.run_dir, sub, f"b{b:02d}_{j:02d}_{i:04d}.{self.fmt}")
                        if kind == "new_defective_files":
                            page = apply_defect(self.corpus.pages[i], f["defect"], rng, f.get("strength"))
                            trunc = rng.uniform(0.2, 0.5) if f["defect"] == "truncated" else None
                        else:
                            style = f.get("style")
                            if style in ("bold", "slant", "thin", "bold_slant"):
                                st = {"bold": {"bold": 1.0}, "thin": {"thin": 0.9},
                                      "slant": {"slant": rng.uniform(9, 13) * rng.choice([-1, 1])},
                                      "bold_slant": {"bold": 0.9, "slant": rng.uniform(8, 12) * rng.choice([-1, 1])}}[style]
                                page = render(self.corpus.images[i], rng, st)
                            else:  # rare classes / another source: the ordinary rendering of unseen digits
                                page = render(self.corpus.images[i], rng)
                            trunc = None
                        write_image(path, page, self.fmt, truncate=trunc)
                        self.labels[path] = int(self.corpus.targets[i])
                        self.batches[b][j] = path
                        self.truth_samples.append(path)
            self.truth_batches = chosen
        if "T2" in f and "T2" not in self.fired and step >= f["T2"]:
            self.fired.add("T2")
            for b, paths in self.originals.items():
                if kind == "files_damaged":
                    for path in paths:
                        i = int(os.path.basename(path).split("_")[2].split(".")[0])
                        write_image(path, self.corpus.pages[i], self.fmt)
                else:
                    self.batches[b] = list(paths)

    # The loop ---------------------------------------------------------------------------------

    def evaluate(self, step):
        total_correct, total_loss, n = 0.0, 0.0, 0
        records = []
        for b, paths in enumerate(self.batches):
            X = np.stack([load_image(p) for p in paths])
            y = np.array([self.labels[p] for p in paths])
            acc, loss = self.model.evaluate(X, y)
            records.append((b, acc, loss, paths))
            total_correct += acc * len(y)
            total_loss += loss * len(y)
            n += len(y)
        return total_correct / n, total_loss / n, records

    def on_action(self, action):
        self.actions.append({"iteration": self.iteration, "step": action.step, "kind": action.kind,
                             "trigger": action.data.get("trigger"), "lr_factor": action.lr_factor,
                             "checkpoint_step": action.checkpoint_step, "applied": self.mode == "applied"})
        if self.mode == "applied":
            self.pending.append(action)

    def run(self, max_iterations_factor=2.5):
        spec, mon = self.spec, self.mon
        step = 0
        cap = int(self.steps * max_iterations_factor)
        stopped = False
        rollbacks = 0
        final = None
        best = (-1.0, None)
        while step <= self.steps and self.iteration < cap:
            self.fire_events(step)
            lr = self.lr_at(step)
            rng = _sub_rng(self.seed, 100, step)
            pool = self.train_pool(step)
            idx = pool[rng.integers(0, len(pool), size=min(self.train_batch, len(pool)))]
            X = self.corpus.features[idx].copy()
            y = self.corpus.targets[idx]
            if self.fault.get("kind") == "overflow_batch" and step == self.fault["T"]:
                # a few records of this batch were decoded from half-precision garbage: inf pixels
                bad = rng.choice(len(X), size=max(1, len(X) // 8), replace=False)
                X[bad] = np.float32(np.inf)
            loss, grads = self.model.loss_and_grads(X, y)
            if self.fault.get("kind") == "grad_growth" and step >= self.fault["T"]:
                g = (1 + (step - self.fault["T"]) / self.fault["over"]) ** self.fault.get("power", 2)
                grads = {k: v * np.float32(g) for k, v in grads.items()}
            frozen = self.fault.get("kind") == "freeze" and step >= self.fault["T"]
            if not frozen:
                self.opt.step(self.model.params, grads, lr)
            if not np.isfinite(loss) and self.first_nan_step is None:
                self.first_nan_step = step
            self.log["train/loss"].append((step, loss))
            self.log["lr"].append((step, lr))
            if mon is not None:
                mon.log(step, {"train/loss": loss, "lr": lr}, wait=self.sync)
            if (step > 0 and step % self.K == 0) or step == self.steps:
                acc, vloss, records = self.evaluate(step)
                self.log["val/accuracy"].append((step, acc))
                self.log["val/loss"].append((step, vloss))
                final = (step, acc, vloss)
                path = os.path.join(self.ckpt_dir, f"step{step:05d}_it{self.iteration:05d}.npz")
                np.savez(path, lr_factor=self.user_factor, step=step, **self.model.state())
                if acc > best[0]:
                    best = (acc, path)
                if mon is not None:
                    for b, bacc, bloss, paths in records:
                        mon.batch(step, b, {"val/accuracy": bacc, "val/loss": bloss}, samples=paths, wait=self.sync)
                    mon.log(step, {"val/accuracy": acc, "val/loss": vloss}, wait=True)
                    mon.checkpoint(step, path, metrics={"val/accuracy": acc, "val/loss": vloss})
            self.iteration += 1
            # advice
            next_step = step + 1
            if self.pending and mon is not None and getattr(mon, "_unread_alerts", None):
                mon._take_alerts()  # advice for earlier fire-and-forget calls, read during the waited call
            if self.pending:
                # Several pieces of advice can arrive together (fire-and-forget advice comes late):
                # act on the earliest, as a trainer would, and let the others go (they were given
                # before it was carried out).
                self.pending.sort(key=lambda a: (a.step if a.step is not None else 0))
                action = self.pending[0]
                for other in self.pending[1:]:
                    self.superseded += 1
                self.pending = []
                if action.kind == "rollback":
                    if action.checkpoint_path and os.path.exists(action.checkpoint_path):
                        state = np.load(action.checkpoint_path)
                        self.model.load({k: state[k] for k in ("W1", "b1", "W2", "b2")})
                        self.opt.reset()
                        next_step = int(action.checkpoint_step) + 1
                        rollbacks += 1
                    self.user_factor *= action.lr_factor or 0.5
                    self.applied.append((self.iteration, action.kind))
                elif action.kind == "reduce_lr":
                    self.applied.append((self.iteration, action.kind))
                    self.user_factor *= action.lr_factor or 0.5
                elif action.kind == "stop":
                    stopped = True
                    if action.checkpoint_path and os.path.exists(action.checkpoint_path):
                        state = np.load(action.checkpoint_path)
                        self.model.load({k: state[k] for k in ("W1", "b1", "W2", "b2")})
                else:
                    self.other_advice += 1
            if stopped:
                break
            step = next_step
        # the model the trainer ends with (after a stop: the checkpoint it restored)
        acc, vloss, _ = self.evaluate(self.steps)
        return {"final_val_accuracy": acc, "final_val_loss": vloss, "stopped": stopped,
                "rollbacks": rollbacks, "iterations": self.iteration, "last_eval": final,
                "applied": self.applied, "superseded": self.superseded, "other_advice": self.other_advice}


def truth_for(spec, trainer):
    """The truth record of an advice-ignored run."""
    f = spec.get("fault") or {}
    cause = spec["cause"]
    accepted = set(spec["accepted"] if spec.get("accepted") is not None else [cause])
    T = f.get("T")
    nan = trainer.first_nan_step
    val_steps = [s for s, _ in trainer.log["val/accuracy"]]
    if cause in ("learning_rate", "divergence") and nan is not None:
        accepted.add("non_finite")
    if cause == "overfitting" and (T is None or T == 0):
        losses = [v for _, v in trainer.log["val/loss"]]
        T = val_steps[int(np.argmin(losses))]
    truth = {"cause": cause, "accepted": sorted(accepted), "T": T, "first_nan_step": nan}
    if cause in ("data_quality", "data_change"):
        truth["batches"] = list(trainer.truth_batches)
        truth["samples"] = list(trainer.truth_samples)
        if cause == "data_quality":
            truth["defect"] = f["defect"]
    truth["change_points"] = change_points_truth(spec, trainer)
    return truth


def _index_of(steps, step):
    """Index of the first logged point at or after `step`."""
    for i, s in enumerate(steps):
        if s >= step:
            return i
    return None


def change_points_truth(spec, trainer):
    """True change points by construction, as indices into each logged curve."""
    f = spec.get("fault") or {}
    kind = f.get("kind")
    T, T2 = f.get("T"), f.get("T2")
    steps = {k: [s for s, _ in v] for k, v in trainer.log.items()}
    cps = {k: set() for k in steps}

    def add(curves, step):
        if step is None:
            return
        for c in curves:
            i = _index_of(steps[c], step)
            if i is not None and i > 0:
                cps[c].add(i)

    for s in trainer.schedule.jumps:  # step decays and warm restarts of the lr
        add(["lr"], s)
    nan = trainer.first_nan_step
    if kind == "lr_mult":
        add(["lr", "train/loss", "val/accuracy", "val/loss"], T)
        add(["lr", "train/loss", "val/accuracy", "val/loss"], T2)
    elif kind == "lr_ramp" and f.get("shape", "linear") == "linear":
        add(["lr"], T)
    elif kind == "lr_inf":
        add(["lr"], T)
    elif kind in ("lr_zero", "freeze"):
        add(["lr"] if kind == "lr_zero" else [], T)
        add(["train/loss", "val/accuracy", "val/loss"], T)
    elif kind in ("files_damaged", "new_defective_files", "data_change"):
        add(["val/accuracy", "val/loss"], T)
        add(["val/accuracy", "val/loss"], T2)
    elif kind == "tiny_train" and f.get("T", 0) > 0:
        add(["train/loss"], T)
    if nan is not None:
        # the start of the NaN tail (and of the collapse of accuracy to chance)
        add(["train/loss", "val/accuracy", "val/loss"], nan)
    out = {}
    for k, v in cps.items():  # one change, one point: merge those within the scoring margin
        merged = []
        for i in sorted(v):
            if not merged or i - merged[-1] > 5:
                merged.append(i)
        out[k] = merged
    return out
