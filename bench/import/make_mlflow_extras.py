#!/usr/bin/env python3
"""Write an MLflow 3 file store that exercises what the fixture store does not: a parent run with
two nested child runs (a sweep, linked by the `mlflow.parentRunId` tag), and a model logged with
`log_model` in one of them (MLflow 3 keeps it under the experiment's `models/m-<id>/`, with a
meta.yaml of its own, beside the runs).

    python make_mlflow_extras.py --out FIXTURE_DIR

writes FIXTURE_DIR/mlflow_extras/mlruns (the file store) and FIXTURE_DIR/mlflow_extras_db/mlflow.db
(the same runs in the SQLite store); the models' pickles are removed (import reads no artifact).
"""
import argparse
import os

import mlflow
import mlflow.pyfunc


class Constant(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return [0.5] * len(model_input)


def log_sweep(tracking_uri):
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_experiment("sweep")
    with mlflow.start_run(run_name="sweep-parent"):
        mlflow.log_param("search", "grid")
        for index, lr in enumerate([0.1, 0.01]):
            with mlflow.start_run(run_name=f"trial-{index}", nested=True):
                mlflow.log_param("lr", lr)
                for step in range(20):
                    mlflow.log_metric("val_acc", 0.5 + 0.02 * step * (index + 1), step=step)
                if index == 0:
                    mlflow.pyfunc.log_model(name="model", python_model=Constant())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    arguments = parser.parse_args()
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3 keeps the file store in maintenance mode
    store = os.path.abspath(os.path.join(arguments.out, "mlflow_extras", "mlruns"))
    log_sweep("file://" + store)
    database = os.path.abspath(os.path.join(arguments.out, "mlflow_extras_db"))
    os.makedirs(database, exist_ok=True)
    log_sweep("sqlite:///" + os.path.join(database, "mlflow.db"))
    for root, _, files in os.walk(arguments.out):
        for name in files:
            if name.endswith(".pkl"):
                os.remove(os.path.join(root, name))


if __name__ == "__main__":
    main()
