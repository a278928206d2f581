"""Objectives (value, grad, hess) and the finite-difference checker, each against an
independent computation: closed forms written here, finite differences, or scipy."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import optimize

from lectures_lib import numdiff, objectives
from lectures_lib.objectives import DoubleWell, Function, MonkeySaddle, Quadratic, Rosenbrock, Softplus

RNG = np.random.default_rng(1234)


def random_points(dim, n=3, scale=1.5, seed=0):
    return np.random.default_rng(seed).uniform(-scale, scale, (n, dim))


# --- finite differences (numdiff) against closed forms ----------------------------------------

def _f(w):  # asymmetric in its indices, so a swapped index changes the answer
    return w[0] ** 3 * w[1] + np.sin(w[2]) * w[0] + 2.0 * w[1] ** 2


def _f_grad(w):
    return np.array([3 * w[0] ** 2 * w[1] + np.sin(w[2]), w[0] ** 3 + 4 * w[1], np.cos(w[2]) * w[0]])


def _f_hess(w):
    return np.array([[6 * w[0] * w[1], 3 * w[0] ** 2, np.cos(w[2])],
                     [3 * w[0] ** 2, 4.0, 0.0],
                     [np.cos(w[2]), 0.0, -np.sin(w[2]) * w[0]]])


@pytest.mark.parametrize("w", random_points(3, seed=1))
def test_numdiff_grad_and_hess_match_closed_forms(w):
    assert_allclose(numdiff.grad(_f, w), _f_grad(w), rtol=1e-7, atol=1e-8)
    H = numdiff.hess(_f_grad, w)
    assert_allclose(H, _f_hess(w), rtol=1e-7, atol=1e-8)
    np.testing.assert_array_equal(H, H.T)  # symmetrised exactly


def test_numdiff_hess_symmetrises_a_non_symmetric_jacobian():
    # the Jacobian of g(w) = M w is M; the symmetrised estimate is (M + M^T)/2
    M = np.array([[1.0, 2.0], [-4.0, 3.0]])
    assert_allclose(numdiff.hess(lambda w: M @ w, np.zeros(2)), [[1.0, -1.0], [-1.0, 3.0]], rtol=1e-9)


def test_check_grad_accepts_a_right_gradient_and_catches_wrong_ones():
    w = np.array([0.7, -1.2, 0.4])
    right = Function(_f, _f_grad, dim=3)
    sign_flipped = Function(_f, lambda w: -_f_grad(w), dim=3)
    index_swapped = Function(_f, lambda w: _f_grad(w)[[1, 0, 2]], dim=3)
    halved = Function(_f, lambda w: 0.5 * _f_grad(w), dim=3)
    assert numdiff.check_grad(right, w) < 1e-7
    for wrong in (sign_flipped, index_swapped, halved):
        assert numdiff.check_grad(wrong, w) > 0.1


# --- Quadratic -----------------------------------------------------------------------------

def test_quadratic_symmetrises_A_without_changing_the_value():
    A = np.array([[2.0, 3.0, -1.0], [-1.0, 4.0, 0.5], [2.0, 0.0, 5.0]])  # not symmetric
    b, c = np.array([1.0, -2.0, 0.5]), 0.7
    q = Quadratic(A, b, c)
    assert_allclose(q.A, q.A.T)
    for w in random_points(3, n=4):
        assert q.value(w) == pytest.approx(0.5 * w @ A @ w + b @ w + c, rel=1e-12)
        assert_allclose(q.grad(w), 0.5 * (A + A.T) @ w + b, rtol=1e-12)
        assert_allclose(q.grad(w), numdiff.grad(q.value, w), rtol=1e-6, atol=1e-8)
        assert_allclose(q.hess(w), 0.5 * (A + A.T))


def test_quadratic_hess_is_a_copy():
    q = Quadratic([[2.0, 0.0], [0.0, 3.0]])
    H = q.hess(np.zeros(2))
    H[0, 0] = 100.0
    assert q.A[0, 0] == 2.0


def test_quadratic_minimizer_and_min_value_match_closed_form():
    M = RNG.standard_normal((4, 4))
    A = M @ M.T + 0.5 * np.eye(4)
    b, c = RNG.standard_normal(4), -1.3
    q = Quadratic(A, b, c)
    A_inv = np.linalg.inv(A)
    w_star = -A_inv @ b
    assert_allclose(q.minimizer(), w_star, rtol=1e-10)
    assert q.min_value() == pytest.approx(c - 0.5 * b @ A_inv @ b, rel=1e-10)
    # and it is the minimum: any step away increases E
    for d in RNG.standard_normal((5, 4)):
        assert q.value(w_star + 1e-3 * d) > q.min_value()


@pytest.mark.parametrize("eigenvalues", [[1.0, -2.0], [3.0, 0.0], [-1.0, -1.0]])
def test_quadratic_minimizer_raises_when_not_positive_definite(eigenvalues):
    q = Quadratic(np.diag(eigenvalues), [1.0, 1.0])
    with pytest.raises(ValueError, match="not positive definite"):
        q.minimizer()
    with pytest.raises(ValueError, match="not positive definite"):
        q.min_value()


def test_from_eigenvalues_axis_aligned_is_diagonal():
    q = Quadratic.from_eigenvalues([3.0, 0.5, 7.0])
    assert_allclose(q.A, np.diag([3.0, 0.5, 7.0]))
    assert_allclose(q.eigenvalues, [0.5, 3.0, 7.0])


@pytest.mark.parametrize("angle", [np.pi / 6, 1.0, -2.5])
def test_from_eigenvalues_angle_rotates_the_eigenvectors(angle):
    q = Quadratic.from_eigenvalues([1.0, 10.0], angle=angle)
    u = np.array([np.cos(angle), np.sin(angle)])  # e_1 rotated counter-clockwise by angle
    v = np.array([-np.sin(angle), np.cos(angle)])  # e_2 rotated
    assert_allclose(q.A @ u, 1.0 * u, atol=1e-12)
    assert_allclose(q.A @ v, 10.0 * v, atol=1e-12)
    assert_allclose(np.linalg.eigvalsh(q.A), [1.0, 10.0])


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_from_eigenvalues_seeded_random_rotation(seed):
    lam = np.array([-2.0, 0.5, 3.0, 9.0])
    q = Quadratic.from_eigenvalues(lam, seed=seed)
    assert_allclose(np.linalg.eigvalsh(q.A), lam, atol=1e-12)
    assert not np.allclose(q.A, np.diag(np.diag(q.A)))  # really rotated
    assert_allclose(Quadratic.from_eigenvalues(lam, seed=seed).A, q.A)  # reproducible
    assert not np.allclose(Quadratic.from_eigenvalues(lam, seed=seed + 1).A, q.A)


def test_quadratic_batch_value_equals_a_loop():
    q = Quadratic([[2.0, 0.5], [-0.3, 1.0]], [0.2, -0.4], 1.5)
    xs, ys = np.meshgrid(np.linspace(-2, 2, 7), np.linspace(-1, 3, 5))
    grid = np.stack([xs, ys], axis=-1)  # (5, 7, 2)
    values = q.value(grid)
    assert values.shape == (5, 7)
    for i in range(5):
        for j in range(7):
            assert values[i, j] == pytest.approx(q.value(grid[i, j]), rel=1e-12)


@pytest.mark.parametrize("objective", [Rosenbrock(dim=3), DoubleWell(), MonkeySaddle(), Softplus(dim=2, mu=0.1)],
                         ids=lambda o: type(o).__name__)
def test_batch_value_equals_a_loop(objective):
    grid = random_points(objective.dim, n=12).reshape(3, 4, objective.dim)
    values = objective.value(grid)
    assert values.shape == (3, 4)
    expected = [[objective.value(grid[i, j]) for j in range(4)] for i in range(3)]
    assert_allclose(values, expected, rtol=1e-12)


def test_quadratic_constructor_errors_name_the_problem():
    with pytest.raises(ValueError, match=r"A must be a square matrix, got shape \(2, 3\)"):
        Quadratic(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"b must have shape \(2,\).*got \(3,\)"):
        Quadratic(np.eye(2), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="finite"):
        Quadratic([[np.inf, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="angle rotates a 2-D quadratic, got 3 eigenvalues"):
        Quadratic.from_eigenvalues([1.0, 2.0, 3.0], angle=0.3)


@pytest.mark.parametrize("objective", [Quadratic(np.eye(2)), Rosenbrock(dim=2), DoubleWell(), MonkeySaddle(),
                                       Softplus(dim=2)], ids=lambda o: type(o).__name__)
@pytest.mark.parametrize("w, shape", [(np.zeros(3), r"\(3,\)"), (np.zeros((4, 2)), r"\(4, 2\)"),
                                      (1.0, r"\(\)")])
def test_shape_mismatch_names_the_shape(objective, w, shape):
    for method in (objective.grad, objective.hess):
        with pytest.raises(ValueError, match=rf"w has shape {shape}.*shape \(2,\)"):
            method(w)
    if np.ndim(w) != 2:  # a (4, 2) batch is a valid input of value
        with pytest.raises(ValueError, match=rf"w has shape {shape}"):
            objective.value(w)


def test_batch_of_wrong_width_names_the_shape():
    with pytest.raises(ValueError, match=r"w has shape \(4, 3\).*Quadratic.*\(2,\)"):
        Quadratic(np.eye(2)).value(np.zeros((4, 3)))


# --- Rosenbrock ----------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [2, 3, 4, 5])
def test_rosenbrock_matches_scipy(dim):
    r = Rosenbrock(dim=dim)
    for w in random_points(dim, n=3, seed=dim):
        assert r.value(w) == pytest.approx(optimize.rosen(w), rel=1e-12)
        assert_allclose(r.grad(w), optimize.rosen_der(w), rtol=1e-12, atol=1e-12)
        assert_allclose(r.hess(w), optimize.rosen_hess(w), rtol=1e-12, atol=1e-12)
    assert r.value(np.ones(dim)) == 0.0
    assert_allclose(r.grad(np.ones(dim)), 0.0)


@pytest.mark.parametrize("a, b", [(2.0, 10.0), (-0.5, 3.0)])
def test_rosenbrock_general_a_b(a, b):
    r = Rosenbrock(a=a, b=b, dim=3)
    for w in random_points(3, n=3, seed=5):
        expected = sum(b * (w[i + 1] - w[i] ** 2) ** 2 + (a - w[i]) ** 2 for i in range(2))
        assert r.value(w) == pytest.approx(expected, rel=1e-12)
        assert_allclose(r.grad(w), numdiff.grad(r.value, w), rtol=1e-6, atol=1e-6)
        assert_allclose(r.hess(w), numdiff.hess(r.grad, w), rtol=1e-6, atol=1e-5)
    # the docstring's minimum for dim=2: (a, a^2)
    r2 = Rosenbrock(a=a, b=b, dim=2)
    assert r2.value([a, a * a]) == 0.0
    assert_allclose(r2.grad([a, a * a]), 0.0, atol=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    ({"dim": 1}, "dim must be an integer >= 2, got 1"),
    ({"dim": 2.5}, "dim must be an integer >= 2, got 2.5"),
    ({"dim": "3"}, "dim must be an integer >= 2"),
    ({"dim": None}, "dim must be an integer >= 2"),
    ({"b": 0.0}, "b must be > 0"),
    ({"b": -1.0}, "b must be > 0"),
])
def test_rosenbrock_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Rosenbrock(**kwargs)


# --- DoubleWell and MonkeySaddle ------------------------------------------------------------

@pytest.mark.parametrize("w", random_points(2, n=4, seed=3))
def test_double_well_closed_forms(w):
    dw = DoubleWell()
    assert dw.value(w) == pytest.approx(w[0] ** 2 / 2 + w[1] ** 4 / 4 - w[1] ** 2 / 2, rel=1e-12)
    assert_allclose(dw.grad(w), numdiff.grad(dw.value, w), rtol=1e-7, atol=1e-8)
    assert_allclose(dw.hess(w), numdiff.hess(dw.grad, w), rtol=1e-6, atol=1e-7)


def test_double_well_critical_points():
    dw = DoubleWell()
    for w in ([0.0, 0.0], [0.0, 1.0], [0.0, -1.0]):
        assert_allclose(dw.grad(w), 0.0, atol=0)
    assert dw.value([0.0, 1.0]) == dw.value([0.0, -1.0]) == -0.25
    assert dw.value([0.0, 0.0]) == 0.0


@pytest.mark.parametrize("w", random_points(2, n=4, seed=4))
def test_monkey_saddle_closed_forms(w):
    m = MonkeySaddle()
    assert m.value(w) == pytest.approx(w[0] ** 3 - 3 * w[0] * w[1] ** 2, rel=1e-12)
    assert_allclose(m.grad(w), numdiff.grad(m.value, w), rtol=1e-7, atol=1e-8)
    assert_allclose(m.hess(w), numdiff.hess(m.grad, w), rtol=1e-6, atol=1e-7)


def test_monkey_saddle_has_zero_gradient_and_hessian_at_origin():
    m = MonkeySaddle()
    assert_allclose(m.grad([0.0, 0.0]), 0.0)
    assert_allclose(m.hess([0.0, 0.0]), 0.0)
    # three valleys: it falls along the negative w_1 axis and rises along the positive one
    assert m.value([-0.1, 0.0]) < 0 < m.value([0.1, 0.0])


# --- Softplus --------------------------------------------------------------------------------

@pytest.mark.parametrize("mu", [0.0, 0.3])
def test_softplus_value_grad_hess(mu):
    s = Softplus(dim=3, mu=mu)
    for w in random_points(3, n=4, scale=6.0, seed=6):
        expected = np.sum(np.log1p(np.exp(-w))) + 0.5 * mu * w @ w
        assert s.value(w) == pytest.approx(expected, rel=1e-12)
        assert_allclose(s.grad(w), numdiff.grad(s.value, w), rtol=1e-6, atol=1e-8)
        assert_allclose(s.hess(w), numdiff.hess(s.grad, w), rtol=1e-6, atol=1e-8)
        assert_allclose(s.hess(w), np.diag(np.diag(s.hess(w))))  # separable


def test_softplus_is_finite_far_out():
    s = Softplus(dim=2)
    assert s.value([-800.0, 800.0]) == pytest.approx(800.0, rel=1e-12)  # log(1 + e^800) = 800 + ...
    assert_allclose(s.grad([-800.0, 800.0]), [-1.0, 0.0], atol=1e-300)


@pytest.mark.parametrize("mu", [0.0, 0.01, 0.5, 2.0])
def test_softplus_second_derivative_is_at_most_a_quarter_plus_mu(mu):
    s = Softplus(dim=1, mu=mu)
    grid = np.linspace(-20, 20, 2001)  # includes w = 0, where the bound is attained
    h = np.array([s.hess([w])[0, 0] for w in grid])
    assert np.all(h <= 0.25 + mu + 1e-15)
    assert h.max() == pytest.approx(0.25 + mu, rel=1e-12)
    assert np.all(h >= mu)


@pytest.mark.parametrize("mu", [0.01, 0.1, 1.0, 5.0])
@pytest.mark.parametrize("dim", [1, 3])
def test_softplus_min_value_matches_scipy(mu, dim):
    one = lambda w: np.log1p(np.exp(-w)) + 0.5 * mu * w * w  # noqa: E731
    root = optimize.brentq(lambda w: mu * w - 1.0 / (1.0 + np.exp(w)), 0.0, 1.0 / mu + 1.0, xtol=1e-14)
    res = optimize.minimize_scalar(one, bracket=(0.0, 1.0), tol=1e-12)
    assert res.x == pytest.approx(root, rel=1e-5)
    s = Softplus(dim=dim, mu=mu)
    assert s.min_value() == pytest.approx(dim * one(root), rel=1e-12)
    assert s.min_value() == pytest.approx(dim * res.fun, rel=1e-9)
    assert_allclose(s.grad(np.full(dim, root)), 0.0, atol=1e-12)


def test_softplus_min_value_without_mu_is_the_infimum_zero():
    s = Softplus(dim=2)
    assert s.min_value() == 0.0
    assert 0.0 < s.value([40.0, 40.0]) < 1e-16


def test_softplus_bad_mu():
    with pytest.raises(ValueError, match=r"mu must be in \[0, inf\), got -1.0"):
        Softplus(mu=-1.0)


@pytest.mark.parametrize("dim", [0, -1, 2.5])
def test_softplus_bad_dim(dim):
    with pytest.raises(ValueError, match="dim"):
        Softplus(dim=dim)


# --- Function -------------------------------------------------------------------------------

def test_function_wraps_callables():
    f = Function(_f, _f_grad, _f_hess, dim=3)
    w = np.array([0.3, -0.8, 1.1])
    assert isinstance(f.value(w), float) and f.value(w) == _f(w)
    assert f.grad(w).dtype == np.float64
    assert_allclose(f.grad(w), _f_grad(w))
    assert_allclose(f.hess(w), _f_hess(w))
    assert f.dim == 3
    ints = Function(lambda w: 1, lambda w: [1, 2], lambda w: [[1, 0], [0, 1]])
    assert ints.grad(None).dtype == np.float64 and ints.hess(None).dtype == np.float64


def test_function_without_hess_raises():
    f = Function(_f, _f_grad)
    with pytest.raises(ValueError, match="no Hessian: pass hess="):
        f.hess(np.zeros(3))


def test_function_value_evaluates_a_batch_point_by_point():
    from lectures_lib import objectives
    f = objectives.Function(lambda w: float(w[0] ** 2 + 3 * w[1]), lambda w: np.array([2 * w[0], 3.0]), dim=2)
    grid = np.arange(12.0).reshape(2, 3, 2)
    np.testing.assert_allclose(f.value(grid), grid[..., 0] ** 2 + 3 * grid[..., 1])
    assert isinstance(f.value(np.array([1.0, 2.0])), float)


def test_rosenbrock_minimum_as_its_docstring_says():
    from lectures_lib import optim
    two = objectives.Rosenbrock(a=2.0, dim=2)
    assert two.value([2.0, 4.0]) == 0.0 and np.all(two.grad([2.0, 4.0]) == 0.0)
    for a in [0.0, 1.0]:  # in 5-D only a = a^2 reaches E = 0, at w = a
        assert objectives.Rosenbrock(a=a, dim=5).value(np.full(5, a)) == 0.0
    three = objectives.Rosenbrock(a=2.0, dim=3)
    assert np.linalg.norm(three.grad([2.0, 4.0, 16.0])) > 1.0  # (a, a^2, a^4) is no critical point
    best = optim.minimize(three, [2.0, 4.0, 16.0], optim.BFGS(), max_iter=2000, tol=1e-14)
    assert best.converged and np.linalg.norm(three.grad(best.x)) < 1e-4 and best.fun > 0.1


def test_check_grad_is_not_scipys():
    q = objectives.Quadratic(np.eye(3))
    wrong = objectives.Function(q.value, lambda w: q.grad(w) + [3.0, 4.0, 0.0], dim=3)
    w = np.array([10.0, -20.0, 5.0])
    ours = numdiff.check_grad(wrong, w)
    assert ours == pytest.approx(4.0 / 20.0, rel=1e-6)  # largest entry, relative to max |g| = 20
    assert optimize.check_grad(wrong.value, wrong.grad, w) == pytest.approx(5.0, rel=1e-4)  # 2-norm


def test_every_submodule_is_an_attribute_of_the_package():
    import subprocess
    import sys
    code = ("import lectures_lib; print(sorted(m for m in lectures_lib.__all__ "
            "if getattr(lectures_lib, m).__name__ == 'lectures_lib.' + m)); lectures_lib.plotting.figure")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "'plotting'" in out.stdout and "'optim'" in out.stdout
