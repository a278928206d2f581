"""Optimizers with ``init(w) -> state`` and ``step(objective, w, state) -> (w, state)``, and
the ``minimize`` driver. Each ``step`` of the first-order methods evaluates the gradient once."""
from .gradient_descent import GDState, GradientDescent
from .minimize import Trace, minimize
from .momentum import Momentum, MomentumState, Nesterov
from .newton import Newton, NewtonState
from .quasi_newton import BFGS, LBFGS, QuasiNewtonState
from .quickprop import Quickprop, QuickpropState
from .rprop import Rprop, RpropState

__all__ = ["GradientDescent", "Momentum", "Nesterov", "Newton", "BFGS", "LBFGS", "Quickprop",
           "Rprop", "Trace", "minimize", "GDState", "MomentumState", "NewtonState",
           "QuasiNewtonState", "QuickpropState", "RpropState"]
