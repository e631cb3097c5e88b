"""What the PyTorch-based callbacks (Hugging Face, Lightning) share."""

from typing import Any, Iterable


def scale_learning_rate(optimizers: Iterable[Any], schedulers: Iterable[Any], factor: float) -> None:
    """The optimisers' rates now, and the schedulers' base rates (a scheduler recomputes the rate
    from them at every step, undoing a change to the rate alone)."""
    for optimizer in optimizers:
        for group in optimizer.param_groups:
            group["lr"] *= factor
    for scheduler in schedulers:
        if hasattr(scheduler, "base_lrs"):
            scheduler.base_lrs = [rate * factor for rate in scheduler.base_lrs]
