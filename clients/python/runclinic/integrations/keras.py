"""runclinic for Keras 3 (any backend):

    model.fit(x, y, validation_data=..., callbacks=[RunclinicCallback(name="mlp", db="runs.db")])

Logs each training batch's logs (`loss`, compiled metrics) and the learning rate at a running
step count, each validation batch's (`val_loss`, ...), and each epoch's validation metrics; saves
the weights after each epoch (`checkpoint_dir`, with the learning rate beside them) and registers
them; applies the advice at the end of the epoch, where the weights are in sync on every backend:
`rollback` restores the checkpoint's weights and its learning rate times `lr_factor`, and clears
the optimiser's moments (a blow-up leaves them non-finite); `reduce_lr` multiplies the rate;
`stop` sets `model.stop_training` (on the advised checkpoint's weights when there is one);
`inspect_data` is a warning. Takes Monitor's arguments or `monitor=`.
"""

import json
import os
import warnings
from typing import Any, Dict, List, Optional

import keras

from ..monitor import Action, Monitor
from ..values import numbers_among
from ._session import MonitorSession, warn_about_data


class RunclinicCallback(keras.callbacks.Callback):
    def __init__(self, monitor: Optional[Monitor] = None, *, checkpoint_dir: Optional[str] = None,
                 **monitor_arguments: Any) -> None:
        super().__init__()
        self.session = MonitorSession(monitor, monitor_arguments)
        self.checkpoint_dir = checkpoint_dir
        self.actions: List[Action] = []
        self._step = 0
        self._pending: Optional[Action] = None

    def on_train_begin(self, logs=None):
        self.session.arguments.setdefault("name", self.model.name)
        config: Dict[str, Any] = {key: value for key, value in (self.params or {}).items()
                                  if isinstance(value, (int, float, str)) and not isinstance(value, bool)}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            config["optimizer"] = type(optimizer).__name__
            rate = _learning_rate(optimizer)
            if rate is not None:
                config["learning_rate"] = rate
        self.session.start(config)
        if self.checkpoint_dir is None:
            self.checkpoint_dir = os.path.join("runclinic-checkpoints", self.session.monitor.name)

    def on_train_batch_end(self, batch, logs=None):
        self._step += 1
        if not self.session.started:
            return
        metrics = numbers_among(logs)
        rate = _learning_rate(self.model.optimizer)
        if rate is not None:
            metrics["lr"] = rate
        action = self.session.monitor.log(metrics, step=self.session.step(self._step), wait=False)
        self._pending = action or self._pending

    def on_test_batch_end(self, batch, logs=None):
        if not self.session.started:
            return
        metrics = {f"val_{key}": value for key, value in numbers_among(logs).items()}
        if metrics:
            action = self.session.monitor.batch(self.session.step(self._step), batch, metrics, wait=False)
            self._pending = action or self._pending

    def on_epoch_end(self, epoch, logs=None):
        if not self.session.started:
            return
        metrics = {key: value for key, value in numbers_among(logs).items() if key.startswith("val_")}
        step = self.session.step(self._step)
        action = (self.session.monitor.log(metrics, step=step, wait=True) if metrics else None) or self._pending
        self._pending = None
        os.makedirs(self.checkpoint_dir, exist_ok=True)
        path = os.path.join(self.checkpoint_dir, f"step={self._step}.weights.h5")
        self.model.save_weights(path)
        with open(path + ".json", "w") as stream:
            json.dump({"learning_rate": _learning_rate(self.model.optimizer)}, stream)
        self.session.monitor.checkpoint(step, path, metrics=metrics or None)
        if action is not None:
            self._apply(action)

    def on_train_end(self, logs=None):
        self.session.finish()

    def _apply(self, action: Action) -> None:
        self.actions.append(action)
        optimizer = self.model.optimizer
        if action.kind == "rollback":
            path = action.checkpoint_path
            if not path or not os.path.exists(path):
                warnings.warn(f"runclinic: cannot roll back to {path!r}: stopping", RuntimeWarning, stacklevel=2)
                self.model.stop_training = True
                return
            self.model.load_weights(path)
            _clear_moments(optimizer)
            saved = _saved_learning_rate(path)
            rate = saved if saved is not None else _learning_rate(optimizer)
            if rate is not None:
                _set_learning_rate(optimizer, rate * (action.lr_factor or 1.0))
            self.session.rolled_back(self._step, action)
        elif action.kind == "reduce_lr":
            rate = _learning_rate(optimizer)
            if rate is not None:
                _set_learning_rate(optimizer, rate * (action.lr_factor or 0.5))
        elif action.kind == "stop":
            if action.checkpoint_path and os.path.exists(action.checkpoint_path):
                self.model.load_weights(action.checkpoint_path)
            self.model.stop_training = True
        elif action.kind == "inspect_data":
            warn_about_data(action)


def _learning_rate(optimizer) -> Optional[float]:
    rate = getattr(optimizer, "learning_rate", None)
    try:
        value = keras.ops.convert_to_numpy(rate)
        # A float32 rate in its shortest digits (0.01, not 0.009999999776482582), as it was given.
        return float(str(value.dtype.type(value)))
    except (TypeError, ValueError, AttributeError):
        return None  # a schedule: it sets the rate itself


def _set_learning_rate(optimizer, rate: float) -> None:
    try:
        optimizer.learning_rate = rate
    except (TypeError, ValueError, AttributeError):
        warnings.warn("runclinic: the learning rate follows a schedule and cannot be cut", RuntimeWarning,
                      stacklevel=3)


def _saved_learning_rate(path: str) -> Optional[float]:
    try:
        with open(path + ".json") as stream:
            return json.load(stream).get("learning_rate")
    except (OSError, ValueError):
        return None


def _clear_moments(optimizer) -> None:
    """Zeroes the optimiser's slots (Adam's moments), keeping its step count and rate."""
    for variable in optimizer.variables:
        name = variable.path.rsplit("/", 1)[-1]
        if name not in ("iteration", "learning_rate"):
            variable.assign(keras.ops.zeros(variable.shape, dtype=variable.dtype))
