"""Argument checks shared by the library: clear errors that name the problem."""
from __future__ import annotations

import math
from typing import Callable, Union

import numpy as np

# A learning rate: a float, or a schedule eta_k = lr(k) of the iteration k = 0, 1, ... (public as
# ``schedules.ScalarOrSchedule``, the name optax uses).
ScalarOrSchedule = Union[float, Callable[[int], float]]


def positive(name: str, value) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` unless it is finite and > 0."""
    value = _real(name, value)
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return value


def in_interval(name: str, value, low: float, high: float, *, closed_low=True, closed_high=False) -> float:
    """Return ``value`` as a float, or raise ``ValueError`` unless it lies in the interval."""
    value = _real(name, value)
    ok_low = value >= low if closed_low else value > low
    ok_high = value <= high if closed_high else value < high
    if not (ok_low and ok_high):
        interval = f"{'[' if closed_low else '('}{low:g}, {high:g}{']' if closed_high else ')'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return value


def integer(name: str, value, minimum: int) -> int:
    """Return ``value`` as an int, or raise ``ValueError`` unless it is an integer >= minimum."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def learning_rate(lr: ScalarOrSchedule, name: str = "lr") -> ScalarOrSchedule:
    """Accept a positive float or a schedule (a callable of the iteration k)."""
    if callable(lr):
        return lr
    return positive(name, lr)


def lr_at(lr: ScalarOrSchedule, k: int, name: str = "lr") -> float:
    """The learning rate at iteration ``k``; a schedule that returns a bad value is named."""
    if not callable(lr):
        return lr
    value = lr(k)
    if not (isinstance(value, (int, float, np.floating, np.integer)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name}({k}) must be a finite float > 0, got {value!r}")
    return float(value)


def flat_vector(w, name: str = "w") -> np.ndarray:
    """``w`` as a 1-D float64 array (a copy), or a ``ValueError`` that says what is wrong."""
    try:
        arr = np.array(w, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a flat vector of numbers: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a flat 1-D vector, got an array of shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr}")
    return arr


def dimension(w: np.ndarray, dim: int, owner: str) -> None:
    """Raise ``ValueError`` unless ``w`` is a flat vector of length ``dim``."""
    shape = np.shape(w)
    if shape != (dim,):
        raise ValueError(f"w has shape {shape}, but {owner} expects a flat vector of shape ({dim},)")


def _real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return value
