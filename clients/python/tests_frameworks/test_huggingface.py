"""RunclinicCallback in a real transformers Trainer: a tiny BERT (built from a config, nothing
fetched) learns a token task, then its learning rate blows up by 1e30 at step 42."""

import math

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainerCallback, TrainingArguments

from runclinic import Client
from runclinic.integrations.huggingface import RunclinicCallback


class Tokens(torch.utils.data.Dataset):
    """Sequences whose label is whether token 7 occurs."""

    def __init__(self, count, seed):
        generator = torch.Generator().manual_seed(seed)
        self.inputs = torch.randint(1, 20, (count, 12), generator=generator)
        self.labels = (self.inputs == 7).any(dim=1).long()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return {"input_ids": self.inputs[index], "labels": self.labels[index]}


class LearningRateBlowUp(TrainerCallback):
    """The fault: the scheduler's base rate times 1e30 at one step (a units bug in a config)."""

    def __init__(self, at):
        self.at = at

    def on_step_begin(self, args, state, control, lr_scheduler=None, **kwargs):
        if state.global_step == self.at:
            lr_scheduler.base_lrs = [rate * 1e30 for rate in lr_scheduler.base_lrs]


def accuracy(prediction):
    return {"accuracy": float((prediction.predictions.argmax(-1) == prediction.label_ids).mean())}


def train(out, extra_callbacks):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=32, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=16, num_labels=2)
    arguments = TrainingArguments(
        output_dir=str(out), max_steps=80, per_device_train_batch_size=16, learning_rate=5e-3, logging_steps=5,
        eval_strategy="steps", eval_steps=10, save_steps=10, report_to=[], seed=0, use_cpu=True, disable_tqdm=True)
    trainer = Trainer(model=BertForSequenceClassification(config), args=arguments, train_dataset=Tokens(1280, 1),
                      eval_dataset=Tokens(256, 2), compute_metrics=accuracy,
                      callbacks=[LearningRateBlowUp(at=42), *extra_callbacks])
    trainer.train()
    return trainer.evaluate()


def test_without_runclinic_the_blow_up_ends_in_nan(tmp_path):
    final = train(tmp_path / "out", [])
    assert math.isnan(final["eval_loss"]) and final["eval_accuracy"] < 0.7


def test_with_runclinic_it_rolls_back_and_ends_finite_and_accurate(tmp_path, binary):
    callback = RunclinicCallback(db=tmp_path / "runs.db", binary=binary, project="hf")
    final = train(tmp_path / "bert", [callback])
    assert math.isfinite(final["eval_loss"]) and final["eval_accuracy"] >= 0.9, final
    kinds = [action.kind for action in callback.actions]
    assert kinds.count("rollback") == 1, kinds
    rollback = callback.actions[kinds.index("rollback")]
    assert rollback.checkpoint_path.endswith("checkpoint-40")
    with Client.spawn(db=tmp_path / "runs.db", binary=binary) as client:
        run = client.run("bert", project="hf")
        assert run["status"] == "finished" and run["config"]["learning_rate"] == 5e-3
        assert run["config"]["model"]["model_type"] == "bert"
        assert client.call("run.checkpoints", run=run["run_id"])["checkpoints"]
        anomalies = client.call("run.anomalies", run=run["run_id"], min_severity="critical")["anomalies"]
        assert any(anomaly["type"] == "non_finite" for anomaly in anomalies)
        # The replay after the rollback is a new attempt of the run: its steps go on from 40.
        superseded = client.call("run.metrics", run=run["run_id"], attempts="superseded")["series"]
        assert superseded, "the abandoned steps are kept apart"
