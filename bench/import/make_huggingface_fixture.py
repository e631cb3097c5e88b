#!/usr/bin/env python3
"""Write a real Hugging Face Trainer output folder for the import tests: a tiny BERT built from a
config (nothing fetched from a hub) trained for 40 steps on a made-up token task, evaluated and
checkpointed every 10 steps, and stopped at step 30 of 40 in a second folder (a run cut short).

    python make_huggingface_fixture.py --out Tests/Fixtures/import/huggingface

Keeps what import reads (trainer_state.json of the folder and of each checkpoint, config.json)
and drops the weights. Needs torch and transformers (a venv of their own).
"""

import argparse
import json
import pathlib
import shutil

import torch
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainerCallback, TrainingArguments


class Tokens(torch.utils.data.Dataset):
    """Sequences whose label is whether token 7 occurs: learnable in a few dozen steps."""

    def __init__(self, count, seed):
        generator = torch.Generator().manual_seed(seed)
        self.inputs = torch.randint(1, 20, (count, 12), generator=generator)
        self.labels = (self.inputs == 7).any(dim=1).long()

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return {"input_ids": self.inputs[index], "labels": self.labels[index]}


class StopAt(TrainerCallback):
    def __init__(self, step):
        self.step = step

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.step:
            control.should_training_stop = True
            control.should_save = True


def accuracy(prediction):
    return {"accuracy": float((prediction.predictions.argmax(-1) == prediction.label_ids).mean())}


def train(out, stop_at=None):
    torch.manual_seed(0)
    config = BertConfig(vocab_size=32, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=16, num_labels=2)
    arguments = TrainingArguments(
        output_dir=str(out), max_steps=40, per_device_train_batch_size=16, learning_rate=5e-3,
        logging_steps=5, eval_strategy="steps", eval_steps=10, save_steps=10, report_to=[], seed=0,
        use_cpu=True, disable_tqdm=True)
    trainer = Trainer(model=BertForSequenceClassification(config), args=arguments, train_dataset=Tokens(640, 1),
                      eval_dataset=Tokens(128, 2), compute_metrics=accuracy,
                      callbacks=[StopAt(stop_at)] if stop_at else [])
    trainer.train()
    trainer.save_state()
    trainer.save_model()


def keep_only_states(out):
    for path in sorted(out.rglob("*"), reverse=True):
        if path.is_file() and path.name not in ("trainer_state.json", "config.json"):
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=pathlib.Path)
    arguments = parser.parse_args()
    shutil.rmtree(arguments.out, ignore_errors=True)
    train(arguments.out / "tiny-bert")
    train(arguments.out / "tiny-bert-stopped", stop_at=30)
    for folder in arguments.out.iterdir():
        keep_only_states(folder)
    states = sorted(str(path.relative_to(arguments.out)) for path in arguments.out.rglob("trainer_state.json"))
    print(json.dumps(states, indent=1))


if __name__ == "__main__":
    main()
