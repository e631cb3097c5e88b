"""What training loops hand to `log`: Python numbers, NumPy scalars and 0-d arrays, torch and JAX
scalars and 0-d tensors. Each becomes a Python float or int; anything else is refused with the
metric's name, before it is sent (fire-and-forget calls too)."""

import os
from typing import Any, Dict, Mapping, Optional, Union

Number = Union[float, int]


def as_number(name: str, value: Any) -> Number:
    """`value` as a Python float or int; TypeError naming `name` when it is not a single number."""
    kind = type(value)
    if kind is float or kind is int:
        return value
    if isinstance(value, (str, bytes, bytearray, bool)) or value is None or _is_numpy_bool(value):
        # A flag is not a metric (the server refuses JSON booleans too): int(flag) logs one.
        raise TypeError(f"metric {name!r}: expected a number, got {_describe(value)}")
    item = getattr(value, "item", None)
    if callable(item):
        # numpy scalars and 0-d arrays, torch and JAX 0-d tensors; more than one element raises.
        try:
            value = item()
        except (ValueError, RuntimeError, TypeError) as error:
            raise TypeError(f"metric {name!r}: expected a single number, got {_describe(value)} ({error})") from None
        if type(value) is float or type(value) is int:
            return value
    if isinstance(value, int):  # int subclasses (IntEnum, numpy ints that lack item())
        return int(value)
    try:
        number = float(value)  # Decimal, Fraction, anything with __float__
    except (TypeError, ValueError):
        raise TypeError(f"metric {name!r}: expected a number, got {_describe(value)}") from None
    return number


def _is_numpy_bool(value: Any) -> bool:
    kind = type(value)
    return kind.__name__ in ("bool_", "bool") and kind.__module__ == "numpy"


def as_numbers(metrics: Mapping[str, Any]) -> Dict[str, Number]:
    """Every value of `metrics` as a number (see `as_number`)."""
    if not isinstance(metrics, Mapping):
        raise TypeError(f"metrics: expected a mapping of names to numbers, got {_describe(metrics)}")
    return {str(name): as_number(str(name), value) for name, value in metrics.items()}


def numbers_among(values: Optional[Mapping[str, Any]]) -> Dict[str, Number]:
    """The entries of `values` that are single numbers, as Python numbers; the rest (text, flags,
    lists, tensors of several values: what frameworks' logs mix in) are left out."""
    numbers: Dict[str, Number] = {}
    for name, value in (values or {}).items():
        try:
            numbers[str(name)] = as_number(str(name), value)
        except TypeError:
            continue
    return numbers


def to_json(value: Any) -> Any:
    """The JSON encoder's fallback for configs and other params: NumPy, torch and JAX values and
    arrays, paths, sets."""
    item = getattr(value, "item", None)
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and getattr(value, "ndim", 0) != 0:
        return tolist()
    if callable(item):
        try:
            return item()
        except (ValueError, RuntimeError, TypeError):
            pass
    if callable(tolist):
        return tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if hasattr(value, "__float__"):
        return float(value)
    raise TypeError(f"{_describe(value)} cannot be written as JSON")


def _describe(value: Any) -> str:
    kind = type(value)
    module = kind.__module__
    name = kind.__qualname__ if module in ("builtins", None) else f"{module}.{kind.__qualname__}"
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, (str, bytes)):
        try:
            return f"{name} of shape {tuple(shape)}"
        except TypeError:
            pass
    text = repr(value)
    return f"{name} {text[:40]}" if len(text) <= 40 else f"{name} {text[:37]}..."
