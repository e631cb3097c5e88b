"""`Monitor`: the helper a training loop uses to log a run."""

import logging

from .client import Client, _dumps

_log = logging.getLogger("runclinic")

# Python's float repr of the values JSON has no literal for, as the server reads them.
_NON_FINITE = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


class Action:
    """What the server advises: `rollback` (to `checkpoint`, with the learning rate times
    `lr_factor`), `reduce_lr` (times `lr_factor`), `stop`, or `inspect_data` (the validation
    `batches` that fell and their `samples`: look at or filter those images). None means carry on.
    `incident` identifies the event it answers: the server advises once per incident."""

    def __init__(self, data):
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
    def checkpoint_path(self):
        return self.checkpoint["path"] if self.checkpoint else None

    @property
    def checkpoint_step(self):
        return self.checkpoint["step"] if self.checkpoint else None

    def __repr__(self):
        return f"Action(kind={self.kind!r}, checkpoint={self.checkpoint_path!r}, lr_factor={self.lr_factor!r})"


class Monitor:
    """Logs one run: `with Monitor("exp-1", config=cfg, db="runs.db") as mon: mon.log(step, {...})`.

    `wait=False` (per call, or as the default) sends fire-and-forget notifications: the fastest
    way to log, committed by the server within its commit window. With `wait=True` the call
    returns once the server has committed the points, with the monitor's verdict.
    """

    def __init__(self, name, project=None, config=None, tags=None, *, db=None, binary=None,
                 client=None, socket=None, wait=True, on_rollback=None, on_reduce_lr=None, on_stop=None,
                 on_inspect_data=None):
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
            self.client = Client.spawn(db=db, binary=binary)
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

    def start(self):
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
        self.warnings = result.get("warnings") or []
        self._prefix = '{"jsonrpc":"2.0","method":"monitor.log","params":{"run":%d,"step":' % self.run_id
        return result

    def log(self, step, metrics, wait=None, time=None):
        """Logs one step's metrics; returns the advised Action, or None to carry on.

        Not waiting, the advice comes with a later call: the server sends it as a monitor.alert
        notification, which the client reads within its flush interval (50 ms).
        """
        if wait is None:
            wait = self.wait
        if not wait and time is None:
            self.client.send_raw(("%s%d,\"metrics\":%s}}\n" % (self._prefix, step, self._metrics_json(metrics))).encode())
            return self._take_alerts() if self._unread_alerts else None
        params = {"run": self.run_id, "step": step, "metrics": metrics}
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
        for name, value in metrics.items():
            key = keys.get(name)
            if key is None:
                if len(keys) > 10_000:
                    keys.clear()
                key = keys[name] = _dumps(name) + ":"
            kind = type(value)
            if kind is float:
                text = repr(value)
                if text in _NON_FINITE:
                    text = _NON_FINITE[text]
            elif kind is int:
                text = repr(value)
            else:
                return _dumps(metrics)
            parts.append(key + text)
        return "{" + ",".join(parts) + "}"

    def batch(self, step, batch, metrics, samples=None, phase="val", wait=None):
        """Logs one validation batch's metrics with the samples (image paths or ids) it held."""
        if wait is None:
            wait = self.wait
        params = {"run": self.run_id, "step": step, "batch": batch, "phase": phase, "metrics": metrics}
        if samples is not None:
            params["samples"] = [str(sample) for sample in samples]
        if not wait:
            self.client.notify("monitor.batch", params)
            return self._take_alerts() if self._unread_alerts else None
        return self._verdict(self.client.call("monitor.batch", params))

    def checkpoint(self, step, path, metrics=None):
        """Registers a checkpoint; returns the server's answer with the best checkpoint so far."""
        params = {"run": self.run_id, "step": step, "path": str(path)}
        if metrics is not None:
            params["metrics"] = metrics
        return self.client.call("monitor.checkpoint", params)

    def finish(self, status=None):
        """Ends the run. Without a status the server decides: `failed` when the training loss
        ended in NaN or the monitor's stop was obeyed, else `finished`."""
        self.client.flush()
        params = {"run": self.run_id}
        if status is not None:
            params["status"] = status
        return self.client.call("run.finish", params)

    def metrics(self, keys=None):
        params = {"run": self.run_id}
        if keys is not None:
            params["keys"] = list(keys)
        return self.client.call("run.metrics", params)["series"]

    def configure(self, config):
        """Changes this run's monitoring rules (an `experiment_monitoring` mapping) mid-run."""
        if "experiment_monitoring" not in config:
            config = {"experiment_monitoring": config}
        return self.client.call("monitor.configure", run=self.run_id, config=config)

    def anomalies_so_far(self, min_severity="info"):
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
        hook = self.hooks.get(action.kind)
        if hook is not None:
            hook(action)
        elif action.kind == "inspect_data":
            _log.warning("runclinic: %s", action.reason)
        return action

    def close(self):
        if self._owns_client:
            self.client.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.finish("failed" if exc_type is not None else None)
        finally:
            self.close()
