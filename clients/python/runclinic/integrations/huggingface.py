"""runclinic for the Hugging Face `Trainer`:

    trainer = Trainer(..., callbacks=[RunclinicCallback(name="bert-base", db="runs.db")])

Logs what the Trainer logs (`loss`, `learning_rate`, `grad_norm`, `eval_*`) at its steps, registers
each checkpoint it saves with the evaluation before it, and applies the advice: `rollback`
restores the checkpoint's weights, optimiser and scheduler and multiplies the learning rate by
`lr_factor` (the run then replays from the checkpoint's step); `reduce_lr` multiplies it;
`stop` ends training (on the advised checkpoint's weights when there is one); `inspect_data` is a
warning naming the images. Takes Monitor's arguments (`name`, `project`, `config`, `db`, ...) or
`monitor=`; the Trainer's settings go into the run's config.
"""

import json
import os
import warnings
from typing import Any, Dict, Optional

import torch
from transformers import TrainerCallback

from ..monitor import Action, Monitor
from ..values import numbers_among
from ._session import MonitorSession, plain_config, warn_about_data
from ._torch import scale_learning_rate

# What the Trainer's settings say about a run, as hyperparameters.
_SETTINGS = ["learning_rate", "per_device_train_batch_size", "gradient_accumulation_steps", "num_train_epochs",
             "max_steps", "weight_decay", "warmup_steps", "warmup_ratio", "lr_scheduler_type", "optim", "seed",
             "max_grad_norm"]


class RunclinicCallback(TrainerCallback):
    def __init__(self, monitor: Optional[Monitor] = None, **monitor_arguments: Any) -> None:
        self.session = MonitorSession(monitor, monitor_arguments)
        self._evaluation: Dict[str, float] = {}
        self.actions = []

    # The Trainer's events ---------------------------------------------------------------------

    def on_train_begin(self, args, state, control, model=None, **kwargs):
        if not state.is_world_process_zero:
            return
        self.session.arguments.setdefault("name", args.run_name or os.path.basename(os.path.abspath(args.output_dir)))
        config = plain_config({key: getattr(args, key) for key in _SETTINGS if hasattr(args, key)})
        if model is not None and getattr(model, "config", None) is not None:
            config["model"] = json.loads(model.config.to_json_string(use_diff=False))
        self.session.start(config)

    def on_log(self, args, state, control, logs=None, model=None, optimizer=None, lr_scheduler=None, **kwargs):
        if not self.session.started or not logs:
            return
        numbers = numbers_among(logs)
        if not numbers:
            return
        if any(key.startswith("eval_") for key in numbers):
            self._evaluation = numbers
        action = self.session.monitor.log(numbers, step=self.session.step(state.global_step), wait=True)
        if action is not None:
            self._apply(action, args, state, control, model, optimizer, lr_scheduler)

    def on_save(self, args, state, control, **kwargs):
        if not self.session.started:
            return
        folder = os.path.join(args.output_dir, f"checkpoint-{state.global_step}")
        if os.path.isdir(folder):
            self.session.monitor.checkpoint(self.session.step(state.global_step), folder,
                                            metrics=self._evaluation or None)

    def on_train_end(self, args, state, control, **kwargs):
        self.session.finish()

    # Advice -----------------------------------------------------------------------------------

    def _apply(self, action: Action, args, state, control, model, optimizer, lr_scheduler) -> None:
        self.actions.append(action)
        if action.kind == "rollback":
            folder = action.checkpoint_path
            if folder is None or not os.path.isdir(folder):
                warnings.warn(f"runclinic: cannot roll back to {folder!r} (deleted by save_total_limit?): stopping",
                              RuntimeWarning, stacklevel=2)
                control.should_training_stop = True
                return
            _restore(folder, model, optimizer, lr_scheduler)
            scale_learning_rate(_present(optimizer), _present(lr_scheduler), action.lr_factor or 1.0)
            self.session.rolled_back(state.global_step, action)
        elif action.kind == "reduce_lr":
            scale_learning_rate(_present(optimizer), _present(lr_scheduler), action.lr_factor or 0.5)
        elif action.kind == "stop":
            if action.checkpoint_path and os.path.isdir(action.checkpoint_path):
                _restore(action.checkpoint_path, model, None, None)
            control.should_training_stop = True
        elif action.kind == "inspect_data":
            warn_about_data(action)


def _restore(folder: str, model, optimizer, lr_scheduler) -> None:
    """A Trainer checkpoint's weights (safetensors or .bin), optimiser and scheduler states."""
    weights = os.path.join(folder, "model.safetensors")
    if os.path.exists(weights):
        from safetensors.torch import load_file
        state = load_file(weights, device=str(next(model.parameters()).device))
    else:
        state = torch.load(os.path.join(folder, "pytorch_model.bin"), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=False)
    if optimizer is not None and os.path.exists(os.path.join(folder, "optimizer.pt")):
        optimizer.load_state_dict(torch.load(os.path.join(folder, "optimizer.pt"), map_location="cpu",
                                             weights_only=False))
    if lr_scheduler is not None and os.path.exists(os.path.join(folder, "scheduler.pt")):
        lr_scheduler.load_state_dict(torch.load(os.path.join(folder, "scheduler.pt"), weights_only=False))


def _present(thing: Any) -> list:
    return [thing] if thing is not None else []
