"""Claims of book/01_recap.ipynb: the slides' training loop, run one instance at a time, is the
library's vectorised gradient descent."""
import numpy as np
import pytest

from lectures_lib import examples, mlp, numdiff, optim

X_XOR = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
D_XOR = np.array([0.0, 1.0, 1.0, 0.0])


def test_the_slides_loop_on_xor_is_minimize_with_gradient_descent():
    net = mlp.MLP([2, 3, 1], ["tanh", "sigmoid"], divergence="l2")  # the chapter's network and run
    w0 = net.init(seed=0)
    loop = examples.slides_training_loop(net, X_XOR, D_XOR, w0, eta=3.0, eps=1e-6, max_epochs=3000)
    vec = optim.minimize(net.objective(X_XOR, D_XOR), w0, optim.GradientDescent(3.0), max_iter=3000, tol=1e-6)
    assert vec.converged and len(loop["w"]) - 1 == vec.nit < 3000  # the same stopping step
    np.testing.assert_allclose(loop["w"], vec.w, atol=1e-12)
    np.testing.assert_allclose(loop["loss"], vec.loss, atol=1e-13)
    np.testing.assert_array_equal(w0, net.init(seed=0))  # w0 is not modified


def test_the_slides_loop_gets_transposes_and_biases_right_on_a_deeper_wider_network():
    rng = np.random.default_rng(3)
    X, D = rng.standard_normal((7, 3)), rng.uniform(0.1, 0.9, (7, 2))
    net = mlp.MLP([3, 4, 5, 2], ["tanh", "relu", "sigmoid"])
    w0 = net.init(seed=2) + 0.1 * rng.standard_normal(net.n_params)  # non-zero biases too
    loop = examples.slides_training_loop(net, X, D, w0, eta=0.5, eps=0.0, max_epochs=5)
    vec = optim.minimize(net.objective(X, D), w0, optim.GradientDescent(0.5), max_iter=5, tol=0.0)
    np.testing.assert_allclose(loop["w"], vec.w, atol=1e-13)
    assert not np.allclose(loop["w"][1], loop["w"][0])


def test_the_slides_loop_follows_the_l2_divergence_only():
    net = mlp.MLP([2, 2, 1], ["tanh", "sigmoid"], divergence="xent")
    with pytest.raises(ValueError, match="L2 divergence"):
        examples.slides_training_loop(net, X_XOR, D_XOR, net.init(), eta=1.0)


def test_exercise_2_backprop_agrees_with_finite_differences_to_rounding_at_three_initialisations():
    net = mlp.MLP([2, 3, 1], ["tanh", "sigmoid"], divergence="l2")  # the chapter's XOR network
    loss = net.objective(X_XOR, D_XOR)
    errors = [numdiff.check_grad(loss, net.init(seed=seed)) for seed in range(3)]  # the solution's check
    assert max(errors) < 5e-11  # the glued bound (the solution's old comment said ~1e-9)


def test_exercise_1_the_full_batch_change_is_minus_eta_over_t_times_the_sum():
    d_div, eta = np.array([0.5, -1.0, 2.0, 0.5]), 0.5  # the exercise's numbers
    assert -eta / len(d_div) * d_div.sum() == -0.25
