"""RunclinicCallback and RunclinicLogger in a real Lightning Trainer: a small network learns to
tell vertical from horizontal stripes in 128x128 images read from PNG files; one fault is a
learning rate blown up by 1e30, the other validation images turning dark mid-run."""

import math
import pathlib
import random
import struct
import warnings
import zlib

import lightning.pytorch as pl
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from runclinic import Client
from runclinic.integrations.lightning import RunclinicCallback, RunclinicLogger

SIDE = 128


def stripes(vertical, seed, dark=False):
    rng = random.Random(seed)
    period = rng.randint(6, 12)
    rows = []
    for y in range(SIDE):
        row = bytearray()
        for x in range(SIDE):
            on = ((x if vertical else y) // period) % 2 == 0
            value = (200 if on else 60) + rng.randint(-30, 30)
            row.append(max(0, min(255, value // 12 if dark else value)))
        rows.append(bytes(row))
    return rows


def write_png(path, rows):
    raw = b"".join(b"\x00" + row for row in rows)
    chunk = lambda kind, data: (struct.pack(">I", len(data)) + kind + data
                                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", SIDE, SIDE, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def read_png(path):
    data = path.read_bytes()
    position, idat = 8, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        if kind == b"IDAT":
            idat += data[position + 8:position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(idat)
    pixels = [raw[row * (SIDE + 1) + 1:(row + 1) * (SIDE + 1)] for row in range(SIDE)]
    return torch.tensor([list(row) for row in pixels], dtype=torch.float32) / 255


class StripeFiles(Dataset):
    """Images read from their files at every epoch, with their labels and paths."""

    def __init__(self, folder, count, seed):
        self.items = []
        for index in range(count):
            vertical = index % 2 == 0
            path = folder / f"img_{index:03d}.png"
            write_png(path, stripes(vertical, seed * 1000 + index))
            self.items.append((str(path), int(vertical)))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        path, label = self.items[index]
        return read_png(pathlib.Path(path)), label, path


class StripeNet(pl.LightningModule):
    def __init__(self, lr=0.01):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.AvgPool2d(8), nn.Flatten(), nn.Linear(256, 32), nn.ReLU(), nn.Linear(32, 2))

    def forward(self, images):
        return self.net(images.unsqueeze(1))

    def training_step(self, batch, batch_idx):
        images, labels, _ = batch
        loss = nn.functional.cross_entropy(self(images), labels)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        images, labels, _ = batch
        logits = self(images)
        loss = nn.functional.cross_entropy(logits, labels)
        accuracy = (logits.argmax(1) == labels).float().mean()
        self.log("val/loss", loss)
        self.log("val/accuracy", accuracy)
        return {"val/loss": loss, "val/accuracy": accuracy}

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)


class LearningRateBlowUp(pl.Callback):
    def __init__(self, at):
        self.at = at

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.global_step == self.at:
            for group in trainer.optimizers[0].param_groups:
                group["lr"] *= 1e30


class ValidationImagesTurnDark(pl.Callback):
    """From the given epoch on, the validation images of some batches are dark (a bad camera)."""

    def __init__(self, dataset, epoch, batches, batch_size):
        self.dataset, self.epoch, self.batches, self.batch_size = dataset, epoch, batches, batch_size
        self.darkened = []

    def on_train_epoch_end(self, trainer, pl_module):
        if trainer.current_epoch != self.epoch:
            return
        for batch in self.batches:
            for index in range(batch * self.batch_size, (batch + 1) * self.batch_size):
                path, label = self.dataset.items[index]
                write_png(pathlib.Path(path), stripes(bool(label), 99_000 + index, dark=True))
                self.darkened.append(path)


def fit(tmp_path, callbacks, epochs=8, logger=False, checkpointing=False):
    torch.manual_seed(0)
    train_dir, val_dir = tmp_path / "train", tmp_path / "val"
    train_dir.mkdir(exist_ok=True)
    val_dir.mkdir(exist_ok=True)
    train = StripeFiles(train_dir, 256, seed=1)
    validation = StripeFiles(val_dir, 128, seed=2)
    model = StripeNet()
    trainer = pl.Trainer(max_epochs=epochs, accelerator="cpu", logger=logger, enable_checkpointing=bool(checkpointing),
                         enable_progress_bar=False, enable_model_summary=False,
                         callbacks=callbacks(validation) + ([checkpointing] if checkpointing else []),
                         default_root_dir=str(tmp_path), log_every_n_steps=1, num_sanity_val_steps=0)
    trainer.fit(model, DataLoader(train, batch_size=32, shuffle=True), DataLoader(validation, batch_size=16))
    return trainer, model, validation


def evaluate(model, dataset):
    model.eval()
    with torch.no_grad():
        images = torch.stack([dataset[index][0] for index in range(len(dataset))])
        labels = torch.tensor([dataset[index][1] for index in range(len(dataset))])
        logits = model(images)
        return nn.functional.cross_entropy(logits, labels).item(), (logits.argmax(1) == labels).float().mean().item()


def test_without_runclinic_the_blow_up_ends_in_nan(tmp_path):
    _, model, validation = fit(tmp_path, lambda _: [LearningRateBlowUp(at=30)])
    loss, accuracy = evaluate(model, validation)
    assert math.isnan(loss) and accuracy < 0.7


def test_with_runclinic_it_rolls_back_and_ends_finite_and_accurate(tmp_path, binary):
    callback = RunclinicCallback(name="stripes", project="pl", db=tmp_path / "runs.db", binary=binary)
    _, model, validation = fit(tmp_path, lambda _: [LearningRateBlowUp(at=30), callback])
    loss, accuracy = evaluate(model, validation)
    assert math.isfinite(loss) and accuracy >= 0.9, (loss, accuracy)
    kinds = [action.kind for action in callback.actions]
    assert "rollback" in kinds and kinds.count("rollback") <= 2, kinds
    with Client.spawn(db=tmp_path / "runs.db", binary=binary) as client:
        run = client.run("stripes", project="pl")
        assert run["config"]["lr"] == 0.01 and run["config"]["max_epochs"] == 8
        assert client.call("run.actions", run=run["run_id"])["actions"][0]["kind"] == "rollback"
        assert client.call("run.batches", run=run["run_id"], step=8)["batches"][0]["samples"][0].endswith(".png")


def test_validation_images_that_turn_dark_are_named(tmp_path, binary):
    callback = RunclinicCallback(name="dark", project="pl", db=tmp_path / "runs.db", binary=binary)
    darkening = []

    def callbacks(validation):
        darkening.append(ValidationImagesTurnDark(validation, epoch=4, batches=[2, 5], batch_size=16))
        return [darkening[0], callback]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(tmp_path, callbacks)
    advice = [action for action in callback.actions if action.kind == "inspect_data"]
    assert advice, [action.kind for action in callback.actions]
    assert set(advice[0].batches) == {2, 5}
    assert set(advice[0].samples) <= set(darkening[0].darkened) and advice[0].samples
    said = [str(warning.message) for warning in caught if "runclinic" in str(warning.message)]
    assert said and advice[0].samples[0] in " ".join(said)


def test_the_logger_writes_metrics_and_hyperparameters(tmp_path, binary):
    logger = RunclinicLogger(name="logged", project="pl", db=tmp_path / "runs.db", binary=binary)
    fit(tmp_path, lambda _: [], epochs=2, logger=logger)
    with Client.spawn(db=tmp_path / "runs.db", binary=binary) as client:
        run = client.run("logged", project="pl")
        assert run["config"] == {"lr": 0.01} and run["status"] == "finished"
        series = client.metrics("logged", project="pl")
        assert len(series["train_loss"]["steps"]) == 16 and len(series["val/accuracy"]["steps"]) == 2


def test_the_model_checkpoint_files_can_be_the_rollback_targets(tmp_path, binary):
    from lightning.pytorch.callbacks import ModelCheckpoint

    saver = ModelCheckpoint(dirpath=str(tmp_path / "mc"), save_top_k=-1, every_n_epochs=1)
    callback = RunclinicCallback(name="mc", project="pl", db=tmp_path / "runs.db", binary=binary,
                                 save_checkpoints=False)
    _, model, validation = fit(tmp_path, lambda _: [LearningRateBlowUp(at=30), callback], checkpointing=saver)
    loss, accuracy = evaluate(model, validation)
    assert math.isfinite(loss) and accuracy >= 0.9, (loss, accuracy)
    rollback = next(action for action in callback.actions if action.kind == "rollback")
    assert rollback.checkpoint_path.startswith(str(tmp_path / "mc")) and rollback.checkpoint_path.endswith(".ckpt")
    assert not (tmp_path / "runclinic-checkpoints").exists()
