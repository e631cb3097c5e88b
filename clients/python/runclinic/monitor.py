"""`Monitor`: the helper a training loop uses to log a run."""

import json

from .client import Client

_dumps = json.JSONEncoder(separators=(",", ":")).encode


class Action:
    """What the server advises the trainer to do: rollback, reduce_lr, stop (or None: carry on)."""

    def __init__(self, data):
        self.data = data
        self.kind = data.get("kind")
        checkpoint = data.get("checkpoint") or None
        self.checkpoint = checkpoint
        self.lr_factor = data.get("lr_factor")
        self.reason = data.get("reason")

    def __repr__(self):
        return f"Action(kind={self.kind!r}, checkpoint={self.checkpoint!r}, lr_factor={self.lr_factor!r})"


class Monitor:
    """Logs one run: `with Monitor("exp-1", config=cfg, db="runs.db") as mon: mon.log(step, {...})`.

    `wait=False` (per call, or as the default) sends fire-and-forget notifications: the fastest
    way to log, committed by the server within its commit window. With `wait=True` the call
    returns once the server has committed the points, with the monitor's verdict.
    """

    def __init__(self, name, project=None, config=None, tags=None, *, db=None, binary=None,
                 client=None, socket=None, wait=True):
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
        self._prefix = '{"jsonrpc":"2.0","method":"monitor.log","params":{"run":%d,"step":' % self.run_id
        return result

    def log(self, step, metrics, wait=None, time=None):
        """Logs one step's metrics; returns the advised Action, or None (always None when not waiting)."""
        if wait is None:
            wait = self.wait
        if not wait and time is None:
            self.client.send_raw(("%s%d,\"metrics\":%s}}\n" % (self._prefix, step, _dumps(metrics))).encode())
            return None
        params = {"run": self.run_id, "step": step, "metrics": metrics}
        if time is not None:
            params["time"] = time
        if not wait:
            self.client.notify("monitor.log", params)
            return None
        return self._verdict(self.client.call("monitor.log", params))

    def batch(self, step, batch, metrics, samples=None, phase="val", wait=None):
        """Logs one validation batch's metrics with the samples (image paths or ids) it held."""
        if wait is None:
            wait = self.wait
        params = {"run": self.run_id, "step": step, "batch": batch, "phase": phase, "metrics": metrics}
        if samples is not None:
            params["samples"] = [str(sample) for sample in samples]
        if not wait:
            self.client.notify("monitor.batch", params)
            return None
        return self._verdict(self.client.call("monitor.batch", params))

    def checkpoint(self, step, path, metrics=None):
        """Registers a checkpoint; returns the server's answer with the best checkpoint so far."""
        params = {"run": self.run_id, "step": step, "path": str(path)}
        if metrics is not None:
            params["metrics"] = metrics
        return self.client.call("monitor.checkpoint", params)

    def finish(self, status="finished"):
        self.client.flush()
        return self.client.call("run.finish", run=self.run_id, status=status)

    def metrics(self, keys=None):
        params = {"run": self.run_id}
        if keys is not None:
            params["keys"] = list(keys)
        return self.client.call("run.metrics", params)["series"]

    def _verdict(self, result):
        self.anomalies.extend(result.get("anomalies") or [])
        action = result.get("action")
        self.last_action = Action(action) if action else None
        return self.last_action

    def close(self):
        if self._owns_client:
            self.client.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.finish("failed" if exc_type is not None else "finished")
        finally:
            self.close()
