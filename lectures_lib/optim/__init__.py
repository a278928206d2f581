"""Optimizers with ``init(w) -> state`` and ``step(objective, w, state) -> (w, state)``, and
the ``minimize`` driver. Each ``step`` of the first-order methods evaluates the gradient once."""
from .gradient_descent import GradientDescent
from .minimize import Trace, minimize
from .momentum import Momentum, Nesterov
from .newton import Newton
from .quasi_newton import BFGS, LBFGS
from .quickprop import Quickprop
from .rprop import Rprop

__all__ = ["GradientDescent", "Momentum", "Nesterov", "Newton", "BFGS", "LBFGS", "Quickprop",
           "Rprop", "Trace", "minimize"]
