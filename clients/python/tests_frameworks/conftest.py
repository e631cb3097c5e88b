"""The framework integrations, trained for real (torch, transformers, Lightning, Keras on JAX) in a
venv of their own (`make test` builds it once: see the Makefile's FRAMEWORK_VENV)."""

import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "clients" / "python"))
os.environ.setdefault("KERAS_BACKEND", "jax")


@pytest.fixture(scope="session")
def binary():
    path = os.environ.get("RUNCLINIC_BIN") or str(ROOT / ".build" / "debug" / "runclinic")
    if not os.path.exists(path):
        pytest.exit(f"runclinic binary not found at {path}: run `swift build` or set RUNCLINIC_BIN", 2)
    return path
