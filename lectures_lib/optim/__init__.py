"""Optimizers with ``init(w) -> state``, ``step(objective, w, state) -> (w, state)`` (the
lecture's formula, new arrays) and ``step_(objective, w, state) -> state`` (the same step in
place, overwriting w and the state's arrays), and the ``minimize`` driver. Each ``step`` of the
first-order methods evaluates the gradient once."""
from .gradient_descent import GDState, GradientDescent
from .minimize import Memo, Result, Trace, minimize, steps_to, value_and_grad
from .momentum import Momentum, MomentumState, Nesterov
from .newton import Newton, NewtonState
from .quasi_newton import BFGS, LBFGS, QuasiNewtonState
from .quickprop import Quickprop, QuickpropState
from .rprop import Rprop, RpropState, SimplifiedRprop

__all__ = ["GradientDescent", "Momentum", "Nesterov", "Newton", "BFGS", "LBFGS", "Quickprop",
           "Rprop", "SimplifiedRprop", "Result", "Trace", "Memo", "minimize", "steps_to", "value_and_grad",
           "GDState", "MomentumState", "NewtonState", "QuasiNewtonState", "QuickpropState", "RpropState"]
