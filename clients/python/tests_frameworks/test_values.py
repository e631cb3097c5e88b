"""Monitor.log takes the numbers training loops hold: torch and JAX scalars and 0-d tensors."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from runclinic import Monitor  # noqa: E402


@pytest.mark.parametrize("wait", [True, False])
def test_torch_and_jax_numbers_are_logged(tmp_path, binary, wait):
    with Monitor("values", db=tmp_path / "runs.db", binary=binary, wait=wait) as monitor:
        monitor.log({"torch": torch.tensor(0.25), "torch_half": torch.tensor(0.5, dtype=torch.float16),
                     "torch_int": torch.tensor(3), "jax": jnp.float32(0.125), "jax_array": jnp.array(0.75)},
                    step=torch.tensor(2))
        with pytest.raises(TypeError, match="metric 'grads': expected a single number"):
            monitor.log({"grads": torch.ones(3)}, step=3)
        series = monitor.metrics()
    assert {name: values["values"] for name, values in series.items()} == {
        "torch": [0.25], "torch_half": [0.5], "torch_int": [3], "jax": [0.125], "jax_array": [0.75]}
    assert series["torch"]["steps"] == [2]
