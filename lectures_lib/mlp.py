"""A fully connected network trained full-batch, its weights packed in one flat vector.

Forward, for layers k = 1..K (y_0 = x):   z_k = W_k y_{k-1} + b_k,   y_k = f_k(z_k)
Backward, exactly as the slides' vector derivatives, with gradients as row vectors:
    grad_{z_k} Div     = grad_{y_k} Div  dy_k/dz_k
    grad_{y_{k-1}} Div = grad_{z_k} Div  W_k
    grad_{b_k} Div     = grad_{z_k} Div,     grad_{W_k} Div = y_{k-1} grad_{z_k} Div
and W_k is updated with the transpose of the last one. Loss = 1/T sum_t Div(Y_t, d_t).
Instances are rows: X is (T, n_0), so a layer computes Z = Y W^T + b for all T at once.

Divergences: ``"l2"`` Div = ||y - d||^2 (the slides' (y - d)^2; many texts halve it), and
``"xent"`` cross-entropy, with a sigmoid output -sum d log y + (1 - d) log(1 - y) per unit, or
with a softmax output -sum_i d_i log y_i; both are computed from z, so a saturated unit gives
a finite loss, and grad_z Div = y - d.
"""
from __future__ import annotations

import numpy as np

from . import activations as _act

DIVERGENCES = ("l2", "xent")


class MLP:
    """``MLP(sizes, activations, divergence)``; e.g. ``MLP([2, 3, 1], ["tanh", "sigmoid"])``.

    ``activations`` is one name for every layer or a list with one per layer (see
    ``activations.ACTIVATIONS``). The flat vector holds W_1 (row-major), b_1, W_2, b_2, ...
    """

    def __init__(self, sizes, activations="sigmoid", divergence: str = "l2"):
        sizes = list(sizes)
        if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1 for n in sizes):
            raise ValueError(f"sizes must be at least two positive integers, got {sizes!r}")
        n_layers = len(sizes) - 1
        names = [activations] * n_layers if isinstance(activations, str) else list(activations)
        if len(names) != n_layers:
            raise ValueError(f"need {n_layers} activations for sizes {sizes}, got {len(names)}")
        self.activations = [_act.get(name) for name in names]
        if divergence not in DIVERGENCES:
            raise ValueError(f"divergence must be one of {DIVERGENCES}, got {divergence!r}")
        if divergence == "xent" and names[-1] not in ("sigmoid", "softmax"):
            raise ValueError(f"divergence 'xent' needs a sigmoid or softmax output, got {names[-1]!r}")
        self.sizes, self.names, self.divergence = sizes, names, divergence
        self.shapes = [(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.n_params = sum(o * i + o for o, i in self.shapes)

    def unpack(self, w):
        """[(W_1, b_1), ..., (W_K, b_K)] as views into the flat vector ``w`` (no copies)."""
        w = np.asarray(w)
        if w.shape != (self.n_params,):
            raise ValueError(f"w has shape {w.shape}, but this MLP{self.sizes} has {self.n_params} parameters")
        layers, start = [], 0
        for n_out, n_in in self.shapes:
            W = w[start:start + n_out * n_in].reshape(n_out, n_in)
            start += n_out * n_in
            layers.append((W, w[start:start + n_out]))
            start += n_out
        return layers

    def init(self, seed=0) -> np.ndarray:
        """Glorot-uniform weights W ~ U(-r, r), r = sqrt(6 / (n_in + n_out)); zero biases."""
        rng = np.random.default_rng(seed)
        w = np.zeros(self.n_params)
        for W, _ in self.unpack(w):
            r = np.sqrt(6.0 / sum(W.shape))
            W[...] = rng.uniform(-r, r, W.shape)
        return w

    def forward(self, w, X):
        """All (z_k, y_k) for k = 1..K, with X as y_0."""
        y, cache = self._inputs(X), []
        for (W, b), (f, _) in zip(self.unpack(w), self.activations):
            z = y @ W.T + b
            y = f(z)
            cache.append((z, y))
        return cache

    def predict(self, w, X) -> np.ndarray:
        """The network's outputs Y, one row per instance."""
        return self.forward(w, X)[-1][1]

    def loss(self, w, X, D) -> float:
        """Loss = 1/T sum_t Div(Y_t, d_t)."""
        z, y = self.forward(w, X)[-1]
        return float(np.mean(self._divergence(z, y, self._targets(D, len(z)))))

    def loss_grad(self, w, X, D):
        """(Loss, grad Loss) by one forward and one backward pass."""
        X = self._inputs(X)
        cache = self.forward(w, X)
        z, y = cache[-1]
        D = self._targets(D, len(X))
        T = len(X)
        if self.divergence == "xent":
            grad_z = (y * D.sum(axis=1, keepdims=True) - D if self.names[-1] == "softmax" else y - D) / T
        else:
            grad_z = self.activations[-1][1](z, y, 2.0 * (y - D) / T)
        g = np.zeros(self.n_params)
        layers, grads = self.unpack(w), self.unpack(g)
        for k in range(len(layers) - 1, -1, -1):
            y_prev = cache[k - 1][1] if k > 0 else X
            grads[k][0][...] = grad_z.T @ y_prev  # (grad_{W_k} Div)^T summed over instances
            grads[k][1][...] = grad_z.sum(axis=0)
            if k > 0:
                z_prev, _ = cache[k - 1]
                grad_z = self.activations[k - 1][1](z_prev, y_prev, grad_z @ layers[k][0])
        return float(np.mean(self._divergence(z, y, D))), g

    def objective(self, X, D) -> "MLPObjective":
        """The training loss on (X, D) as an objective any optimizer can minimise."""
        return MLPObjective(self, X, D)

    def _divergence(self, z, y, D):
        if self.divergence == "l2":
            return np.sum((y - D) ** 2, axis=1)
        if self.names[-1] == "sigmoid":
            return np.sum(np.logaddexp(0.0, z) - D * z, axis=1)
        lse = np.logaddexp.reduce(z, axis=1, keepdims=True)
        return np.sum(D * (lse - z), axis=1)

    def _inputs(self, X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (T, {self.sizes[0]}), got {X.shape}")
        return X

    def _targets(self, D, T):
        D = np.asarray(D, dtype=np.float64)
        if D.ndim == 1 and self.sizes[-1] == 1:
            D = D[:, None]
        if D.shape != (T, self.sizes[-1]):
            raise ValueError(f"D must have shape ({T}, {self.sizes[-1]}), got {D.shape}")
        return D


class MLPObjective:
    """Loss(w) of an MLP on fixed data: ``value``, ``grad`` (by backprop), ``value_and_grad``
    (both from one forward and one backward pass) and ``dim``."""

    def __init__(self, net: MLP, X, D):
        self.net, self.X = net, net._inputs(X)
        self.D = net._targets(D, len(self.X))
        self.dim = net.n_params

    def value(self, w) -> float:
        return self.net.loss(w, self.X, self.D)

    def grad(self, w) -> np.ndarray:
        return self.net.loss_grad(w, self.X, self.D)[1]

    def value_and_grad(self, w):
        return self.net.loss_grad(w, self.X, self.D)
