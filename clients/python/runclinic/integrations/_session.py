"""What the framework callbacks share: their Monitor, the steps they report after a rollback, and
how data advice reaches the user."""

import warnings
from argparse import Namespace
from typing import Any, Dict, Mapping, Optional

from ..monitor import Action, Monitor


class MonitorSession:
    """The callback's Monitor (given, or made from Monitor's arguments and started with the
    training), and the step offset of rollbacks: the framework's own step counter goes on after a
    rollback, while the run replays from the checkpoint's step, so steps are reported as
    `framework step - offset`."""

    def __init__(self, monitor: Optional[Monitor], monitor_arguments: Dict[str, Any]):
        if monitor is not None and monitor_arguments:
            raise TypeError("give either monitor= or Monitor's arguments, not both")
        self.monitor = monitor
        self.arguments = monitor_arguments
        self.owns = monitor is None
        self.offset = 0
        self.started = False

    def start(self, config: Optional[Dict[str, Any]] = None) -> Monitor:
        if self.monitor is None:
            arguments = dict(self.arguments)
            arguments.setdefault("name", "run")
            if config:
                arguments["config"] = {**config, **(arguments.get("config") or {})}
            self.monitor = Monitor(**arguments)
        if self.monitor.run_id is None:
            self.monitor.start()
        elif config:
            self.monitor.update_config(config)
        self.started = True
        return self.monitor

    def step(self, framework_step: int) -> int:
        return framework_step - self.offset

    def rolled_back(self, framework_step: int, action: Action) -> None:
        """The run goes on from the checkpoint's step: the next step reported is one past it."""
        self.offset = framework_step - action.checkpoint_step

    def finish(self, failed: bool = False) -> None:
        if self.monitor is None or not self.started:
            return
        if self.owns:
            try:
                self.monitor.finish("failed" if failed else None)
            finally:
                self.monitor.close()
        else:
            self.monitor.client.flush()
        self.started = False


def plain_config(params: Any) -> Dict[str, Any]:
    """Hyperparameters as JSON a config holds: numbers, text, flags and None as they are, mappings
    (and argparse Namespaces) nested, anything else as its text."""
    if isinstance(params, Namespace):
        params = vars(params)
    plain: Dict[str, Any] = {}
    for key, value in dict(params or {}).items():
        if isinstance(value, (int, float, str, bool)) or value is None:
            plain[key] = value
        elif isinstance(value, (Mapping, Namespace)):
            plain[key] = plain_config(value)
        else:
            plain[key] = str(value)
    return plain


def warn_about_data(action: Action) -> None:
    """`inspect_data`: no weight or learning-rate change cures bad images; say which."""
    shown = ", ".join(action.samples[:10]) + (" ..." if len(action.samples) > 10 else "")
    warnings.warn(f"runclinic: {action.reason} (validation batches {action.batches}; samples: {shown})",
                  RuntimeWarning, stacklevel=3)
