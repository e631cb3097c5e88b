"""A small NumPy classifier trained step by step: an MLP with softmax, SGD / momentum / Adam
written out, float64 throughout (no subnormal slow-downs; a learning-rate blow-up still ends in inf and NaN), and the
learning-rate schedules people use."""

import math

import numpy as np


class MLP:
    def __init__(self, n_in, hidden, n_out, rng, mean, std):
        self.mean = mean.astype(np.float64)
        self.std = std.astype(np.float64)
        self.params = {
            "W1": (rng.normal(0, math.sqrt(2.0 / n_in), (n_in, hidden))).astype(np.float64),
            "b1": np.zeros(hidden, np.float64),
            "W2": (rng.normal(0, math.sqrt(1.0 / hidden), (hidden, n_out))).astype(np.float64),
            "b2": np.zeros(n_out, np.float64),
        }

    def _norm(self, X):
        return (X - self.mean) / self.std

    def logits(self, X):
        p = self.params
        with np.errstate(all="ignore"):
            h = np.maximum(self._norm(X) @ p["W1"] + p["b1"], 0)
            return h @ p["W2"] + p["b2"], h

    def loss_and_grads(self, X, y):
        p = self.params
        with np.errstate(all="ignore"):
            Xn = self._norm(X)
            z1 = Xn @ p["W1"] + p["b1"]
            h = np.maximum(z1, 0)
            logits = h @ p["W2"] + p["b2"]
            loss, probs = softmax_xent(logits, y)
            n = len(y)
            d = probs.copy()
            d[np.arange(n), y] -= 1
            d /= n
            grads = {"W2": h.T @ d, "b2": d.sum(0)}
            dh = d @ p["W2"].T
            dh[z1 <= 0] = 0
            grads["W1"] = Xn.T @ dh
            grads["b1"] = dh.sum(0)
        return loss, grads

    def evaluate(self, X, y):
        logits, _ = self.logits(X)
        loss, probs = softmax_xent(logits, y)
        with np.errstate(all="ignore"):
            predictions = np.argmax(probs, axis=1)  # NaN weights: argmax says class 0, like torch
        return float(np.mean(predictions == y)), loss

    def state(self):
        return {k: v.copy() for k, v in self.params.items()}

    def load(self, state):
        self.params = {k: np.asarray(v, np.float64).copy() for k, v in state.items()}


def softmax_xent(logits, y):
    with np.errstate(all="ignore"):
        z = logits - np.max(logits, axis=1, keepdims=True)
        e = np.exp(z)
        probs = e / e.sum(1, keepdims=True)
        logp = z - np.log(e.sum(1, keepdims=True))
        loss = float(-np.mean(logp[np.arange(len(y)), y]))
    return loss, probs


class Optimizer:
    def __init__(self, kind, momentum=0.9, betas=(0.9, 0.999), eps=1e-8):
        self.kind = kind
        self.momentum = momentum
        self.betas = betas
        self.eps = eps
        self.reset()

    def reset(self):
        self.m, self.v, self.t = {}, {}, 0

    def step(self, params, grads, lr):
        self.t += 1
        with np.errstate(all="ignore"):
            for k, g in grads.items():
                if self.kind == "sgd":
                    update = g
                elif self.kind == "momentum":
                    self.m[k] = self.momentum * self.m.get(k, 0) + g
                    update = self.m[k]
                else:  # adam
                    b1, b2 = self.betas
                    self.m[k] = b1 * self.m.get(k, 0) + (1 - b1) * g
                    self.v[k] = b2 * self.v.get(k, 0) + (1 - b2) * g * g
                    mh = self.m[k] / (1 - b1 ** self.t)
                    vh = self.v[k] / (1 - b2 ** self.t)
                    update = mh / (np.sqrt(vh) + self.eps)
                params[k] = (params[k] - np.float64(lr) * update).astype(np.float64)


class Schedule:
    """Base learning rate by step; `jumps` lists the steps where it changes abruptly."""

    def __init__(self, kind, lr, steps, **kw):
        self.kind, self.lr, self.steps, self.kw = kind, lr, steps, kw
        self.jumps = []
        if kind == "step":
            self.jumps = [s for s in kw["milestones"]]
        elif kind == "cosine_restarts":
            period = kw["period"]
            self.jumps = list(range(period, steps, period))

    def __call__(self, step):
        kw, lr = self.kw, self.lr
        if self.kind == "constant":
            return lr
        if self.kind == "step":
            return lr * kw.get("gamma", 0.1) ** sum(step >= m for m in kw["milestones"])
        if self.kind == "warmup_cosine":
            w = kw["warmup"]
            if step < w:
                return lr * (step + 1) / w
            frac = (step - w) / max(1, self.steps - w)
            low = kw.get("floor", 0.02)
            return lr * (low + (1 - low) * 0.5 * (1 + math.cos(math.pi * frac)))
        if self.kind == "cosine_restarts":
            period = kw["period"]
            frac = (step % period) / period
            low = kw.get("floor", 0.05)
            return lr * (low + (1 - low) * 0.5 * (1 + math.cos(math.pi * frac)))
        raise ValueError(self.kind)

    def describe(self):
        return {"kind": self.kind, **self.kw}
