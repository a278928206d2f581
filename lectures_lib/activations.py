"""Activations f(z) for the MLP, each with its derivative, in the lecture's y = f(z).

Every activation is applied elementwise except softmax, whose Jacobian is full; ``backward``
therefore takes the upstream gradient (a row per instance, the lecture's row-vector convention)
and returns the gradient with respect to z: grad_z Div = grad_y Div * (dy/dz).
"""
from __future__ import annotations

import numpy as np


def sigmoid(z):
    """The logistic function 1 / (1 + e^{-z}), with neither overflow for large |z| nor
    underflow to 0 before e^{z} itself underflows (z < -745) for very negative z."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_backward(z, y, grad_y):
    return y * (grad_y - np.sum(grad_y * y, axis=-1, keepdims=True))


# name -> (f(z), backward(z, y, grad_y) -> grad_z)
ACTIVATIONS = {
    "identity": (lambda z: z, lambda z, y, g: g),
    "sigmoid": (sigmoid, lambda z, y, g: g * y * (1.0 - y)),
    "tanh": (np.tanh, lambda z, y, g: g * (1.0 - y * y)),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, y, g: g * (z > 0)),
    "softmax": (_softmax, _softmax_backward),
}


def get(name: str):
    """The pair (f, backward) for an activation name; a clear error for an unknown one."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}") from None
