"""The loss surface: classify a critical point by the eigenvalues of its Hessian."""
from __future__ import annotations

import numpy as np


def classify_critical_point(objective, w, grad_tol: float = 1e-6, eig_tol: float = 1e-8) -> str:
    """"minimum", "maximum", "saddle" or "degenerate" at a point where the slope is zero.

    A saddle point: the surface rises in some directions and falls in others, i.e. the Hessian
    has eigenvalues of both signs. "degenerate": some eigenvalue is zero (within ``eig_tol``
    relative to the largest) and the others do not already make it a saddle; the Hessian
    alone cannot tell. Raises ``ValueError`` if |grad E(w)| > ``grad_tol``.
    """
    norm = float(np.linalg.norm(objective.grad(w)))
    if norm > grad_tol:
        raise ValueError(f"w is not a critical point: |grad E(w)| = {norm:.3g} > grad_tol={grad_tol:g}")
    lam = np.linalg.eigvalsh(objective.hess(w))
    zero = eig_tol * max(1.0, float(np.abs(lam).max()))
    if lam.min() < -zero and lam.max() > zero:
        return "saddle"
    if np.any(np.abs(lam) <= zero):
        return "degenerate"
    return "minimum" if lam.min() > 0 else "maximum"

