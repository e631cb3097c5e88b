"""RunclinicCallback in Keras 3 on the JAX backend: a small network learns two interleaved
classes, then its learning rate is set to 1e30 at the start of epoch 4."""

import math
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from runclinic import Client  # noqa: E402
from runclinic.integrations.keras import RunclinicCallback  # noqa: E402


def data(seed, count):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, count)
    angle = rng.uniform(0, 2 * np.pi, count)
    radius = 1.0 + 1.5 * labels + rng.normal(0, 0.2, count)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1).astype("float32")
    return points, labels


class LearningRateBlowUp(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            self.model.optimizer.learning_rate = 1e30


def fit(callbacks):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(32, activation="relu"), keras.layers.Dense(2)], name="rings")
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    train, validation = data(1, 2048), data(2, 512)
    model.fit(*train, validation_data=validation, epochs=8, batch_size=64, verbose=0,
              callbacks=[LearningRateBlowUp(epoch=4), *callbacks])
    loss, accuracy = model.evaluate(*validation, verbose=0)
    return loss, accuracy


def test_without_runclinic_the_blow_up_ends_in_nan():
    loss, accuracy = fit([])
    assert math.isnan(loss) and accuracy < 0.7


def test_with_runclinic_it_rolls_back_and_ends_finite_and_accurate(tmp_path, binary):
    callback = RunclinicCallback(project="keras", db=tmp_path / "runs.db", binary=binary,
                                 checkpoint_dir=str(tmp_path / "checkpoints"))
    loss, accuracy = fit([callback])
    assert math.isfinite(loss) and accuracy >= 0.9, (loss, accuracy)
    kinds = [action.kind for action in callback.actions]
    assert kinds[0] == "rollback" and kinds.count("rollback") == 1, kinds
    with Client.spawn(db=tmp_path / "runs.db", binary=binary) as client:
        run = client.run("rings", project="keras")
        assert run["config"]["optimizer"] == "Adam" and run["config"]["learning_rate"] == 0.01
        assert run["config"]["epochs"] == 8 and run["status"] == "finished"
        series = client.metrics("rings", project="keras")
        assert {"loss", "accuracy", "lr", "val_loss", "val_accuracy"} <= set(series)
        assert client.call("run.batches", run=run["run_id"])["batches"][0]["metrics"]["val_loss"] > 0
