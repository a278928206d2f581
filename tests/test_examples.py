"""The lecture's examples reproduce in one call."""
import numpy as np

from lectures_lib import convergence as C
from lectures_lib import examples, optim


def test_two_learning_rates_is_the_slides_setting():
    ex = examples.two_learning_rates()
    np.testing.assert_allclose(C.optimal_rates(ex["objective"].A), [1.0, 0.91])
    assert ex["lr"] == 1.9 * 0.91 < C.max_stable_lr(ex["objective"].A)


def test_nesterov_converges_much_faster_than_momentum():
    ex = examples.nesterov_vs_momentum()
    m, n = ex["momentum"].loss, ex["nesterov"].loss
    assert n[-1] < 0.05 * m[-1]
    assert optim.steps_to(n, 1e-3) < 0.7 * optim.steps_to(m, 1e-3)
