"""`Monitor`: the helper a training loop uses to log a run."""

import logging
import os
from collections.abc import Mapping

from typing import Any, Callable, Dict, List, Optional, Sequence

from .client import Client, PathLike, _dumps
from .values import as_number, as_numbers

_log = logging.getLogger("runclinic")

# Python's float repr of the values JSON has no literal for, as the server reads them.
_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


Hook = Callable[["Action"], Any]


def _as_step(step: Any) -> int:
    """A step given as a NumPy or torch integer, as a Python int."""
    number = as_number("step", step)
    if type(number) is not int and not float(number).is_integer():
        raise TypeError(f"step: expected an integer, got {step!r}")
    return int(number)


class Action:
    """What the server advises: `rollback` (to `checkpoint`, with the learning rate times
    `lr_factor`), `reduce_lr` (times `lr_factor`), `stop`, or `inspect_data` (the validation
    `batches` that fell and their `samples`: look at or filter those images). None means carry on.
    `incident` identifies the event it answers: the server advises once per incident."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self.data = data
        self.kind = data.get("kind")
        self.checkpoint = data.get("checkpoint") or None
        self.lr_factor = data.get("lr_factor")
        self.reason = data.get("reason")
        self.step = data.get("step")
        self.incident = data.get("incident")
        self.batches = data.get("batches") or []
        self.samples = data.get("samples") or []

    @property
    def checkpoint_path(self) -> Optional[str]:
        return self.checkpoint["path"] if self.checkpoint else None

    @property
    def checkpoint_step(self) -> Optional[int]:
        return self.checkpoint["step"] if self.checkpoint else None

    def __repr__(self):
        return f"Action(kind={self.kind!r}, checkpoint={self.checkpoint_path!r}, lr_factor={self.lr_factor!r})"


class Monitor:
    """Logs one run: `with Monitor("exp-1", config=cfg, db="runs.db") as mon: mon.log(step, {...})`.

    `wait=False` (per call, or as the default) sends fire-and-forget notifications: the fastest
    way to log, committed by the server within its commit window. With `wait=True` the call
    returns once the server has committed the points, with the monitor's verdict.
    """

    def __init__(self, name: str, project: Optional[str] = None, config: Optional[Mapping[str, Any]] = None,
                 tags: Optional[Sequence[str]] = None, *, db: Optional[PathLike] = None,
                 binary: Optional[PathLike] = None, client: Optional[Client] = None,
                 socket: Optional[PathLike] = None, socket_for_editors: Optional[PathLike] = None,
                 wait: bool = True, on_rollback: Optional[Hook] = None, on_reduce_lr: Optional[Hook] = None,
                 on_stop: Optional[Hook] = None, on_inspect_data: Optional[Hook] = None) -> None:
        """`db`: the SQLite store (a spawned server's; default runs.db). `socket`: log through a
        server already listening there instead of spawning one. `socket_for_editors`: the spawned
        server also listens on this Unix socket, so an editor, a dashboard or a shell script can
        attach to the run while it trains (`runclinic call --socket PATH`, the Neovim plugin)."""
        self.name = name
        self.project = project
        self.config = config
        self.tags = tags
        self.wait = wait
        self._owns_client = client is None
        if client is not None:
            self.client = client
        elif socket is not None:
            self.client = Client.connect(socket)
        else:
            args = ["--socket", os.fspath(socket_for_editors), "--stdio"] if socket_for_editors is not None else ()
            self.client = Client.spawn(db=db, binary=binary, args=args)
        self.hooks = {"rollback": on_rollback, "reduce_lr": on_reduce_lr, "stop": on_stop,
                      "inspect_data": on_inspect_data}
        # Actions already handed to the trainer, by incident: the same advice may arrive both as
        # a reply and as an alert, and its hook must run once.
        self._handled = set()
        self.alerts = []
        self._unread_alerts = []
        self._metric_keys = {}
        self.client.on_notification("monitor.alert", self._receive_alert)
        self.warnings = []
        self.run_id = None
        self.resumed = False
        self.last_step = None
        self.anomalies = []
        self.last_action = None
        self._prefix = None
        # The step `log` uses when given none: one past the last step logged (wandb's counter).
        self._next_step = 0

    def start(self) -> Dict[str, Any]:
        params = {"name": self.name}
        if self.project is not None:
            params["project"] = self.project
        if self.config is not None:
            params["config"] = self.config
        if self.tags is not None:
            params["tags"] = list(self.tags)
        result = self.client.call("run.start", params)
        self.run_id = result["run_id"]
        self.resumed = result["resumed"]
        self.last_step = result.get("last_step")
        self._next_step = self.last_step + 1 if self.last_step is not None else 0
        self.warnings = result.get("warnings") or []
        self._prefix = '{"jsonrpc":"2.0","method":"monitor.log","params":{"run":%d,"step":' % self.run_id
        return result

    def log(self, metrics: Mapping[str, Any], step: Optional[int] = None, wait: Optional[bool] = None,
            time: Optional[float] = None) -> Optional["Action"]:
        """Logs one step's metrics; returns the advised Action, or None to carry on.

        `log({"train/loss": loss}, step=10)`, in the order of wandb and Lightning; without a step,
        one past the last step logged (0 first; after a rollback, one past the checkpoint's step).
        `log(10, {...})`, the step first, works too. Values may be Python, NumPy, torch or JAX
        numbers (0-d arrays and tensors included); anything else raises TypeError naming the metric.

        Not waiting, the advice comes with a later call: the server sends it as a monitor.alert
        notification, which the client reads within its flush interval (50 ms).
        """
        if type(metrics) is not dict and (type(step) is dict or (isinstance(step, Mapping)
                                                                 and not isinstance(metrics, Mapping))):
            metrics, step = step, metrics  # log(step, metrics)
        if step is None:
            step = self._next_step
        elif type(step) is not int:
            step = _as_step(step)
        if wait is None:
            wait = self.wait
        if not wait and time is None:
            data = ("%s%d,\"metrics\":%s}}\n" % (self._prefix, step, self._metrics_json(metrics))).encode()
            self._next_step = step + 1
            self.client.send_raw(data)
            return self._take_alerts() if self._unread_alerts else None
        params = {"run": self.run_id, "step": step, "metrics": as_numbers(metrics)}
        self._next_step = step + 1
        if time is not None:
            params["time"] = time
        if not wait:
            self.client.notify("monitor.log", params)
            return self._take_alerts() if self._unread_alerts else None
        return self._verdict(self.client.call("monitor.log", params))

    def _metrics_json(self, metrics):
        """`metrics` as JSON, written by hand for the common case (names to Python floats and ints,
        the names' JSON kept): a third of the time json.dumps takes on the logging path."""
        parts = []
        keys = self._metric_keys
        try:
            items = metrics.items()
        except AttributeError:
            as_numbers(metrics)  # raises, saying what metrics should be
            raise
        for name, value in items:
            key = keys.get(name)
            if key is None:
                if len(keys) > 10_000:
                    keys.clear()
                key = keys[name] = _dumps(str(name)) + ":"
            kind = type(value)
            if kind is not float and kind is not int:
                value = as_number(str(name), value)
                kind = type(value)
            text = repr(value)
            if kind is float and text in _NON_FINITE:
                text = _NON_FINITE[text]
            parts.append(key + text)
        return "{" + ",".join(parts) + "}"

    def update_config(self, config: Optional[Mapping[str, Any]] = None, **values: Any) -> Dict[str, Any]:
        """Adds to or changes the run's config, as wandb's `config.update` and Lightning's
        `log_hyperparams` do: `update_config({"batch_size": 64})` or `update_config(batch_size=64)`.
        A key given replaces the stored one, None removes it. Returns the whole config."""
        merged = dict(config or {})
        merged.update(values)
        result = self.client.call("run.update_config", run=self.run_id, config=merged)
        self.config = result["config"]
        return self.config

    def batch(self, step: int, batch: int, metrics: Mapping[str, Any], samples: Optional[Sequence[Any]] = None,
              phase: str = "val", wait: Optional[bool] = None) -> Optional["Action"]:
        """Logs one validation batch's metrics with the samples (image paths or ids) it held."""
        if wait is None:
            wait = self.wait
        params = {"run": self.run_id, "step": step, "batch": batch, "phase": phase, "metrics": as_numbers(metrics)}
        if samples is not None:
            params["samples"] = [str(sample) for sample in samples]
        if not wait:
            self.client.notify("monitor.batch", params)
            return self._take_alerts() if self._unread_alerts else None
        return self._verdict(self.client.call("monitor.batch", params))

    def checkpoint(self, step: int, path: PathLike, metrics: Optional[Mapping[str, Any]] = None
                   ) -> Dict[str, Any]:
        """Registers a checkpoint; returns the server's answer with the best checkpoint so far."""
        params = {"run": self.run_id, "step": step, "path": str(path)}
        if metrics is not None:
            params["metrics"] = as_numbers(metrics)
        return self.client.call("monitor.checkpoint", params)

    def finish(self, status: Optional[str] = None) -> Dict[str, Any]:
        """Ends the run. Without a status the server decides: `failed` when the training loss
        ended in NaN or the monitor's stop was obeyed, else `finished`."""
        self.client.flush()
        params = {"run": self.run_id}
        if status is not None:
            params["status"] = status
        return self.client.call("run.finish", params)

    def metrics(self, keys: Optional[Sequence[str]] = None) -> Dict[str, Any]:
        params = {"run": self.run_id}
        if keys is not None:
            params["keys"] = list(keys)
        return self.client.call("run.metrics", params)["series"]

    def configure(self, config: Mapping[str, Any]) -> Dict[str, Any]:
        """Changes this run's monitoring rules (an `experiment_monitoring` mapping) mid-run."""
        if "experiment_monitoring" not in config:
            config = {"experiment_monitoring": config}
        return self.client.call("monitor.configure", run=self.run_id, config=config)

    def anomalies_so_far(self, min_severity: str = "info") -> List[Dict[str, Any]]:
        return self.client.call("run.anomalies", run=self.run_id, min_severity=min_severity)["anomalies"]

    def _receive_alert(self, params):
        # Called by the client whenever it reads an alert (possibly from its flusher thread).
        if params and params.get("run", {}).get("run_id") == self.run_id:
            self._unread_alerts.append(params)

    def _take_alerts(self):
        """Handles alerts that arrived for fire-and-forget calls; returns the latest advice."""
        action = None
        while self._unread_alerts:
            alert = self._unread_alerts.pop(0)
            self.alerts.append(alert)
            result = self._verdict(alert)
            action = result or action
        return action

    def _verdict(self, result):
        self.anomalies.extend(result.get("anomalies") or [])
        data = result.get("action")
        action = Action(data) if data else None
        if action is None:
            return None
        key = (action.incident, action.kind, action.step) if action.incident is not None else None
        if key is not None and key in self._handled:
            return None
        if key is not None:
            self._handled.add(key)
        self.last_action = action
        if action.kind == "rollback" and action.checkpoint_step is not None:
            self._next_step = action.checkpoint_step + 1
        hook = self.hooks.get(action.kind)
        if hook is not None:
            hook(action)
        elif action.kind == "inspect_data":
            _log.warning("runclinic: %s", action.reason)
        return action

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> "Monitor":
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.finish("failed" if exc_type is not None else None)
        finally:
            self.close()
