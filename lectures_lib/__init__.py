"""lectures_lib: the reference implementation of "Neural Networks: Optimization Part 1".

    from lectures_lib import objectives, optim, schedules
    q = objectives.Quadratic(A, b)
    trace = optim.minimize(q, w0, optim.Nesterov(lr=0.01, beta=0.9))

Submodules load on first use, so ``import lectures_lib.objectives`` does not pull in the rest.
"""
import importlib

__all__ = ["activations", "convergence", "examples", "experiments", "landscape", "measured", "mlp", "numdiff", "objectives",
           "optim", "perceptron", "plotting", "schedules"]
__version__ = "0.1.0"


def __getattr__(name):
    if name in __all__:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'lectures_lib' has no attribute {name!r}")
