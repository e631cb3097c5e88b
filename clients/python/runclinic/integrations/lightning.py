"""runclinic for PyTorch Lightning:

    trainer = Trainer(callbacks=[RunclinicCallback(name="resnet", db="runs.db")])

`RunclinicCallback` logs each training step's loss and learning rate (and what the module logs on
the step), each validation batch's metrics with the sample paths the batch carries (a `path`,
`paths`, `filename` or `filenames` entry of a dict batch, or a list of strings in a tuple batch),
and the epoch's validation metrics; saves a checkpoint after each validation and registers it;
and applies the advice: `rollback` restores the checkpoint's weights and optimiser and multiplies
the learning rate by `lr_factor` (the run replays from the checkpoint's step), `reduce_lr`
multiplies it, `stop` sets `trainer.should_stop` (on the advised checkpoint's weights when there
is one), `inspect_data` is a warning naming the images. `RunclinicLogger` is a Lightning Logger
(`Trainer(logger=RunclinicLogger(...))`: `self.log` metrics and `save_hyperparameters`); give its
`monitor` to the callback to use both on one run. Both take Monitor's arguments or `monitor=`.
"""

import os
import warnings
from typing import Any, List, Mapping, Optional

import torch
from lightning.pytorch import Callback
from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities import rank_zero_only

from ..monitor import Action, Monitor
from ..values import numbers_among
from ._session import MonitorSession, plain_config, warn_about_data
from ._torch import scale_learning_rate

_PATH_KEYS = ("path", "paths", "filename", "filenames", "file", "files", "image_path", "image_paths")


class RunclinicCallback(Callback):
    def __init__(self, monitor: Optional[Monitor] = None, *, checkpoint_dir: Optional[str] = None,
                 save_checkpoints: bool = True, **monitor_arguments: Any) -> None:
        """`save_checkpoints=False`: register the files the trainer's ModelCheckpoint callbacks
        save instead of saving one after each validation (a rollback needs the file to still be
        there: keep `save_top_k` large enough)."""
        self.session = MonitorSession(monitor, monitor_arguments)
        self.checkpoint_dir = checkpoint_dir
        self.save_checkpoints = save_checkpoints
        self._registered: set = set()
        self.actions: List[Action] = []
        self._pending: Optional[Action] = None
        self._last_validation = None

    def on_fit_start(self, trainer, pl_module):
        if trainer.global_rank != 0:
            return
        self.session.arguments.setdefault("name", type(pl_module).__name__)
        config = plain_config(pl_module.hparams)
        config.update({key: value for key, value in (("max_epochs", trainer.max_epochs), ("max_steps", trainer.max_steps),
                       ("accumulate_grad_batches", trainer.accumulate_grad_batches),
                       ("gradient_clip_val", trainer.gradient_clip_val)) if value is not None})
        self.session.start(config)
        if self.checkpoint_dir is None:
            self.checkpoint_dir = os.path.join(trainer.default_root_dir, "runclinic-checkpoints")

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if not self.session.started:
            return
        metrics = {key: value for key, value in numbers_among(trainer.logged_metrics).items() if "val" not in key}
        loss = outputs.get("loss") if isinstance(outputs, Mapping) else outputs
        if isinstance(loss, torch.Tensor) and loss.numel() == 1:
            metrics.setdefault("train/loss", loss.detach().item())
        if trainer.optimizers:
            metrics["lr"] = trainer.optimizers[0].param_groups[0]["lr"]
        action = self.session.monitor.log(metrics, step=self.session.step(trainer.global_step), wait=False)
        if action is not None:
            self._apply(action, trainer, pl_module)

    def on_validation_batch_end(self, trainer, pl_module, outputs, batch, batch_idx, dataloader_idx=0):
        if not self.session.started or trainer.sanity_checking:
            return
        if isinstance(outputs, Mapping):
            metrics = numbers_among(outputs)
        elif isinstance(outputs, torch.Tensor) and outputs.numel() == 1:
            metrics = {"val/loss": outputs.item()}
        else:
            return
        if metrics:
            # Advice that arrives here waits for the end of the validation: weights are not
            # swapped under a running evaluation.
            action = self.session.monitor.batch(self.session.step(trainer.global_step), batch_idx, metrics,
                                                samples=_sample_paths(batch), wait=False)
            self._pending = action or self._pending

    def on_validation_epoch_end(self, trainer, pl_module):
        if not self.session.started or trainer.sanity_checking:
            return
        metrics = {key: value for key, value in numbers_among(trainer.callback_metrics).items() if "val" in key}
        if not metrics:
            return
        step = self.session.step(trainer.global_step)
        action = self.session.monitor.log(metrics, step=step, wait=True) or self._pending
        self._pending = None
        self._last_validation = (step, metrics)
        if self.save_checkpoints:
            # The checkpoint of this validation: the weights the metrics describe.
            os.makedirs(self.checkpoint_dir, exist_ok=True)
            path = os.path.join(self.checkpoint_dir, f"step={trainer.global_step}.ckpt")
            trainer.save_checkpoint(path)
            self.session.monitor.checkpoint(step, path, metrics=metrics)
        if action is not None:
            self._apply(action, trainer, pl_module)

    def on_train_epoch_start(self, trainer, pl_module):
        self._register_model_checkpoints(trainer)

    def on_fit_end(self, trainer, pl_module):
        self._register_model_checkpoints(trainer)
        self.session.finish()

    def _register_model_checkpoints(self, trainer) -> None:
        """The files ModelCheckpoint saved after the last validation (it runs after this callback),
        registered with that validation's metrics."""
        if self.save_checkpoints or not self.session.started or self._last_validation is None:
            return
        step, metrics = self._last_validation
        for callback in trainer.checkpoint_callbacks:
            folder = getattr(callback, "dirpath", None)
            saved = [os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".ckpt")] \
                if folder and os.path.isdir(folder) else []
            for path in sorted(saved, key=os.path.getmtime):
                if path not in self._registered:
                    self._registered.add(path)
                    self.session.monitor.checkpoint(step, path, metrics=metrics)

    def on_exception(self, trainer, pl_module, exception):
        self.session.finish(failed=True)

    def _apply(self, action: Action, trainer, pl_module) -> None:
        self.actions.append(action)
        if action.kind == "rollback":
            if not action.checkpoint_path or not os.path.exists(action.checkpoint_path):
                warnings.warn(f"runclinic: cannot roll back to {action.checkpoint_path!r}: stopping", RuntimeWarning,
                              stacklevel=2)
                trainer.should_stop = True
                return
            _restore(action.checkpoint_path, trainer, pl_module, with_optimizers=True)
            _scale(trainer, action.lr_factor or 1.0)
            self.session.rolled_back(trainer.global_step, action)
        elif action.kind == "reduce_lr":
            _scale(trainer, action.lr_factor or 0.5)
        elif action.kind == "stop":
            if action.checkpoint_path and os.path.exists(action.checkpoint_path):
                _restore(action.checkpoint_path, trainer, pl_module, with_optimizers=False)
            trainer.should_stop = True
        elif action.kind == "inspect_data":
            warn_about_data(action)


class RunclinicLogger(Logger):
    """A Lightning Logger writing to a runclinic run: `self.log(...)` values at their steps
    (fire and forget) and `saveplain_config()` as the run's config."""

    def __init__(self, monitor: Optional[Monitor] = None, **monitor_arguments: Any) -> None:
        super().__init__()
        self.session = MonitorSession(monitor, monitor_arguments)

    @property
    def monitor(self) -> Monitor:
        """The run's Monitor, started on first use (give it to RunclinicCallback to share the run)."""
        if not self.session.started:
            self.session.start()
        return self.session.monitor

    @property
    def name(self) -> str:
        return self.session.arguments.get("name") or (self.session.monitor.name if self.session.monitor else "run")

    @property
    def version(self) -> int:
        return self.monitor.run_id

    @property
    def experiment(self) -> Monitor:
        return self.monitor

    @rank_zero_only
    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        self.monitor.update_config(plain_config(params))

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, Any], step: Optional[int] = None) -> None:
        numbers = numbers_among(metrics)
        if numbers:
            self.monitor.log(numbers, step=self.session.step(step) if step is not None else None, wait=False)

    @rank_zero_only
    def finalize(self, status: str) -> None:
        if self.session.started:
            self.session.finish(failed=status == "failed")


def _restore(path: str, trainer, pl_module, with_optimizers: bool) -> None:
    checkpoint = torch.load(path, map_location=pl_module.device, weights_only=False)
    pl_module.load_state_dict(checkpoint["state_dict"])
    if not with_optimizers:
        return
    for optimizer, state in zip(trainer.optimizers, checkpoint.get("optimizer_states", [])):
        optimizer.load_state_dict(state)
    for config, state in zip(trainer.lr_scheduler_configs, checkpoint.get("lr_schedulers", [])):
        config.scheduler.load_state_dict(state)


def _scale(trainer, factor: float) -> None:
    scale_learning_rate(trainer.optimizers, [config.scheduler for config in trainer.lr_scheduler_configs], factor)


def _sample_paths(batch: Any) -> Optional[List[str]]:
    """The sample paths a batch carries, when it carries them."""
    if isinstance(batch, Mapping):
        for key in _PATH_KEYS:
            value = batch.get(key)
            if isinstance(value, (list, tuple)) and value and all(isinstance(item, str) for item in value):
                return list(value)
    elif isinstance(batch, (list, tuple)):
        for item in batch:
            if isinstance(item, (list, tuple)) and item and all(isinstance(entry, str) for entry in item):
                return list(item)
    return None
