"""Realistic metric streams for the monitor's scenario suite: clean runs of several shapes and
faulty ones with a known first anomalous step. Deterministic (seeded)."""

import math
import random

EVAL_EVERY = 100
BATCHES = 16


class Scenario:
    def __init__(self, name, steps, fault=None, fault_step=None, config=None):
        self.name = name
        self.steps = steps  # list of (step, {metric: value}, [batch records]) in logging order
        self.fault = fault
        self.fault_step = fault_step
        self.config = config or {}


def _training(total, seed, noise=0.03, warmup=0, lr_steps=(), floor=0.15, scale=2.0, tau=700):
    rng = random.Random(seed)
    level = scale
    values = []
    for step in range(1, total + 1):
        decay = scale * math.exp(-step / tau)
        for boundary in lr_steps:
            if step >= boundary:
                decay *= 0.6
        if warmup and step < warmup:
            decay = scale * (1 - 0.2 * step / warmup)
        level = decay + floor
        values.append(level * (1 + rng.gauss(0, noise)))
    return values


def _validation(step, total, rng, noise=0.01, ceiling=0.92):
    progress = 1 - math.exp(-step / (total / 3))
    return min(0.999, 0.5 + (ceiling - 0.5) * progress + rng.gauss(0, noise))


def build(name, total=3000, seed=1, noise=0.03, val_noise=0.01, warmup=0, lr_steps=(), with_batches=True,
          fault=None, fault_step=None):
    rng = random.Random(seed + 1000)
    loss = _training(total, seed, noise=noise, warmup=warmup, lr_steps=lr_steps)
    smooth = _training(total, seed, noise=0.0, warmup=warmup, lr_steps=lr_steps)
    batch_offsets = [rng.gauss(0, 0.03) for _ in range(BATCHES)]
    steps = []
    val_loss_base = None
    for step in range(1, total + 1):
        train = loss[step - 1]
        metrics = {"train/loss": train, "lr": 1e-3}
        if fault == "nan" and step == fault_step:
            metrics["train/loss"] = float("nan")
        if fault == "spike" and step == fault_step:
            metrics["train/loss"] = train * 8
        if fault == "divergence" and step >= fault_step:
            metrics["train/loss"] = train * math.exp((step - fault_step) / 40)
        steps.append((step, metrics, []))
        if step % EVAL_EVERY == 0:
            recall = _validation(step, total, rng, noise=val_noise)
            # Over the whole validation set: smoother than one training batch.
            val_loss = smooth[step - 1] * 1.1 * (1 + rng.gauss(0, val_noise))
            if fault == "sudden_drop" and step >= fault_step:
                recall -= 0.15
            if fault == "plateau" and step >= 500:
                recall = 0.8 + rng.gauss(0, 0.0005)
            if fault == "overfitting" and step >= fault_step:
                if val_loss_base is None:
                    val_loss_base = val_loss
                val_loss = val_loss_base * (1 + 0.04 * (step - fault_step) / EVAL_EVERY)
            batches = []
            if with_batches:
                for index in range(BATCHES):
                    value = min(0.999, recall + batch_offsets[index] + rng.gauss(0, val_noise))
                    if fault == "bad_batch" and step >= fault_step and 12 <= index <= 15:
                        value -= 0.3
                    paths = [f"data/val/img_{index * 8 + i:04d}.jpg" for i in range(8)]
                    batches.append((index, {"val/recall": value}, paths))
            steps.append((step, {"val/recall": recall, "val/loss": val_loss}, batches))
    return Scenario(name, steps, fault, fault_step)


def clean_runs():
    return [
        build("clean-smooth", seed=1),
        build("clean-warmup", seed=2, warmup=300),
        build("clean-lr-steps", seed=3, lr_steps=(1200, 2200)),
        build("clean-noisy", seed=4, noise=0.08, val_noise=0.015),
        build("clean-long", seed=5, total=6000),
    ]


FAULTS = {
    # type expected, first anomalous step, steps of delay allowed (0: the very call)
    "nan": ("non_finite", 1234, 0),
    "spike": ("spike", 1500, 0),
    "sudden_drop": ("sudden_drop", 2000, 0),
    "divergence": ("divergence", 1500, 120),
    "plateau": ("plateau", 500, 2000),
    "overfitting": ("overfitting", 1500, 800),
    "bad_batch": ("problematic_batch", 2000, 0),
}


def faulty_runs():
    return [build(f"fault-{fault}", seed=10 + index, fault=fault, fault_step=FAULTS[fault][1])
            for index, fault in enumerate(FAULTS)]
