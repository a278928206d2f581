"""lectures_lib: the reference implementation of "Neural Networks: Optimization Part 1".

    from lectures_lib import objectives, optim, schedules
    q = objectives.Quadratic(A, b)
    trace = optim.minimize(q, w0, optim.Nesterov(lr=0.01, beta=0.9))
"""
from . import activations, convergence, examples, landscape, mlp, numdiff, objectives, optim, perceptron, schedules

__all__ = ["activations", "convergence", "examples", "landscape", "mlp", "numdiff", "objectives",
           "optim", "perceptron", "schedules"]
__version__ = "0.1.0"
