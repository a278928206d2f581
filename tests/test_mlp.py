"""The MLP and its activations, against the slides' per-instance formulas written out here
(z_k = W_k y_{k-1} + b_k, y_k = f(z_k), Loss = 1/T sum_t Div) and against finite differences."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from lectures_lib import activations, numdiff, optim
from lectures_lib.mlp import MLP

# --- independent activations: f(z) and the Jacobian dy/dz for one instance --------------------

F = {
    "identity": lambda z: z,
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "softmax": lambda z: np.exp(z) / np.sum(np.exp(z)),
}
JACOBIAN = {
    "identity": lambda z: np.eye(len(z)),
    "sigmoid": lambda z: np.diag(np.exp(-z) / (1.0 + np.exp(-z)) ** 2),
    "tanh": lambda z: np.diag(1.0 / np.cosh(z) ** 2),
    "relu": lambda z: np.diag((z > 0).astype(float)),
    "softmax": lambda z: np.diag(F["softmax"](z)) - np.outer(F["softmax"](z), F["softmax"](z)),
}


def layers_by_hand(sizes, w):
    """[(W_k, b_k)] sliced from w in the documented layout: W_1 row-major, b_1, W_2, b_2, ..."""
    out, i = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        W = np.array([[w[i + r * n_in + c] for c in range(n_in)] for r in range(n_out)])
        i += n_out * n_in
        out.append((W, np.array(w[i:i + n_out])))
        i += n_out
    assert i == len(w)
    return out


def div_by_hand(y, d, divergence, out_name):
    if divergence == "l2":
        return np.sum((y - d) ** 2)
    if out_name == "sigmoid":
        return -np.sum(d * np.log(y) + (1 - d) * np.log(1 - y))
    return -np.sum(d * np.log(y))


def grad_div_by_hand(y, d, divergence, out_name):  # grad_y Div as a row vector
    if divergence == "l2":
        return 2.0 * (y - d)
    if out_name == "sigmoid":
        return -d / y + (1 - d) / (1 - y)
    return -d / y


def loss_and_grad_by_hand(sizes, names, divergence, w, X, D):
    """The slides' training loop: per instance forward, Div, backward; accumulate; divide by T."""
    layers = layers_by_hand(sizes, w)
    T = len(X)
    loss = 0.0
    grads = [(np.zeros_like(W), np.zeros_like(b)) for W, b in layers]
    for x, d in zip(X, D):
        ys, zs = [x], []
        for (W, b), name in zip(layers, names):
            zs.append(W @ ys[-1] + b)
            ys.append(F[name](zs[-1]))
        loss += div_by_hand(ys[-1], d, divergence, names[-1]) / T
        grad_y = grad_div_by_hand(ys[-1], d, divergence, names[-1])
        for k in range(len(layers) - 1, -1, -1):
            grad_z = grad_y @ JACOBIAN[names[k]](zs[k])  # grad_z Div = grad_y Div dy/dz
            grad_W = np.outer(ys[k], grad_z)  # grad_W Div = y_{k-1} grad_z Div
            grads[k][0][...] += grad_W.T / T  # W is updated with the transpose
            grads[k][1][...] += grad_z / T
            grad_y = grad_z @ layers[k][0]  # grad_{y_{k-1}} Div = grad_z Div W_k
    flat = np.concatenate([np.concatenate([gW.ravel(), gb]) for gW, gb in grads])
    return loss, flat, ys[-1]


CASES = [  # (sizes, activations, divergence): 0 to 3 hidden layers, every activation, both divergences
    ([3, 2], ["identity"], "l2"),
    ([3, 4, 2], ["tanh", "identity"], "l2"),
    ([2, 5, 3, 1], ["sigmoid", "relu", "sigmoid"], "l2"),
    ([4, 3, 3], ["identity", "softmax"], "l2"),
    ([2, 3, 1], ["tanh", "sigmoid"], "xent"),
    ([3, 4, 2], ["relu", "sigmoid"], "xent"),
    ([3, 4, 4, 4, 3], ["tanh", "sigmoid", "relu", "softmax"], "xent"),
    ([2, 3, 3, 4], ["sigmoid", "tanh", "softmax"], "xent"),
]


def data(sizes, names, divergence, T=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((T, sizes[0]))
    if names[-1] == "softmax":
        # rows of probabilities, scaled so that sum_i d_i != 1 also exercises -sum_i d_i log y_i
        D = rng.dirichlet(np.ones(sizes[-1]), T) * rng.uniform(0.5, 2.0, (T, 1))
    elif divergence == "xent" or names[-1] == "sigmoid":
        D = rng.uniform(0.05, 0.95, (T, sizes[-1]))
    else:
        D = rng.standard_normal((T, sizes[-1]))
    return X, D


def weights(net, seed=0):
    return np.random.default_rng(seed + 100).uniform(-1, 1, net.n_params)


def assert_no_relu_kink(net, w, X, margin=1e-3):
    for (z, _), name in zip(net.forward(w, X), net.names):
        if name == "relu":
            assert np.abs(z).min() > margin, "test data puts a ReLU at its kink; pick another seed"


@pytest.mark.parametrize("sizes, names, divergence", CASES)
def test_forward_and_loss_match_a_per_instance_loop(sizes, names, divergence):
    net = MLP(sizes, names, divergence)
    X, D = data(sizes, names, divergence)
    w = weights(net)
    loss, _, _ = loss_and_grad_by_hand(sizes, names, divergence, w, X, D)
    # the outputs, instance by instance
    for x, row in zip(X, net.predict(w, X)):
        y = x
        for (W, b), name in zip(layers_by_hand(sizes, w), names):
            y = F[name](W @ y + b)
        assert_allclose(row, y, rtol=1e-12, atol=1e-14)
    assert net.loss(w, X, D) == pytest.approx(loss, rel=1e-12)
    assert net.loss_grad(w, X, D)[0] == pytest.approx(loss, rel=1e-12)
    assert net.objective(X, D).value(w) == pytest.approx(loss, rel=1e-12)


@pytest.mark.parametrize("sizes, names, divergence", CASES)
def test_backward_matches_the_slides_formulas_per_instance(sizes, names, divergence):
    net = MLP(sizes, names, divergence)
    X, D = data(sizes, names, divergence)
    w = weights(net)
    assert_no_relu_kink(net, w, X)
    _, g, _ = loss_and_grad_by_hand(sizes, names, divergence, w, X, D)
    assert_allclose(net.loss_grad(w, X, D)[1], g, rtol=1e-10, atol=1e-13)
    assert_allclose(net.objective(X, D).grad(w), g, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("sizes, names, divergence", CASES)
@pytest.mark.parametrize("seed", [1, 2])
def test_gradient_matches_finite_differences(sizes, names, divergence, seed):
    net = MLP(sizes, names, divergence)
    X, D = data(sizes, names, divergence, seed=seed)
    w = weights(net, seed)
    assert_no_relu_kink(net, w, X)
    obj = net.objective(X, D)
    assert_allclose(obj.grad(w), numdiff.grad(obj.value, w), rtol=1e-6, atol=1e-8)


def test_one_dimensional_targets_for_a_single_output():
    net = MLP([2, 3, 1], ["tanh", "sigmoid"])
    X, D = data([2, 3, 1], net.names, "l2")
    w = weights(net)
    assert net.loss(w, X, D[:, 0]) == net.loss(w, X, D)
    assert_allclose(net.loss_grad(w, X, D[:, 0])[1], net.loss_grad(w, X, D)[1])


# --- exact values, hand-computed ----------------------------------------------------------------

def test_l2_divergence_is_the_unhalved_squared_error():
    net = MLP([1, 1], "identity", "l2")
    w = np.array([2.0, 1.0])  # y = 2x + 1
    X, D = np.array([[1.0], [2.0]]), np.array([[0.0], [5.0]])  # y = 3, 5: errors 3, 0
    loss, g = net.loss_grad(w, X, D)
    assert loss == 4.5  # (9 + 0) / 2, not 2.25
    assert_allclose(g, [3.0, 3.0])  # dLoss/dW = (2*3*1 + 0)/2, dLoss/db = (2*3 + 0)/2
    two = MLP([1, 2], "identity", "l2")
    assert two.loss([1.0, 1.0, 0.0, 0.0], [[1.0]], [[0.0, -1.0]]) == 5.0  # 1^2 + 2^2 summed over units


def test_xent_exact_values():
    sig = MLP([1, 1], "sigmoid", "xent")
    # z = 0: y = 1/2, Div = log 2 for any target d
    assert sig.loss([0.0, 0.0], [[1.0]], [[0.3]]) == pytest.approx(np.log(2), rel=1e-15)
    soft = MLP([1, 3], "softmax", "xent")
    # W = 0, b = (0, log 2, log 5): y = (1, 2, 5) / 8
    w = [0.0, 0.0, 0.0, 0.0, np.log(2), np.log(5)]
    assert soft.loss(w, [[1.0]], [[0.0, 0.0, 1.0]]) == pytest.approx(-np.log(5 / 8), rel=1e-14)
    assert soft.loss(w, [[1.0]], [[1.0, 0.0, 0.0]]) == pytest.approx(-np.log(1 / 8), rel=1e-14)


def test_xent_is_finite_for_saturated_outputs():
    sig = MLP([1, 1], "sigmoid", "xent")
    X = np.array([[1.0], [-1.0]])
    w = np.array([800.0, 0.0])  # z = +800, -800
    loss, g = sig.loss_grad(w, X, [[0.0], [1.0]])  # both completely wrong
    assert loss == pytest.approx(800.0, rel=1e-12)
    assert_allclose(g, [1.0, 0.0], atol=1e-12)  # grad_z = (y - d)/T = (1/2, -1/2)
    assert sig.loss(w, X, [[1.0], [0.0]]) == pytest.approx(0.0, abs=1e-300)  # both right
    soft = MLP([1, 2], "softmax", "xent")
    w = np.array([800.0, -800.0, 0.0, 0.0])  # z = (800, -800)
    assert soft.loss(w, [[1.0]], [[0.0, 1.0]]) == pytest.approx(1600.0, rel=1e-12)
    loss, g = soft.loss_grad(w, [[1.0]], [[0.0, 1.0]])
    assert np.all(np.isfinite(g)) and np.isfinite(loss)
    assert_allclose(g, [1.0, -1.0, 1.0, -1.0], atol=1e-12)  # grad_z = y - d = (1, -1)


# --- the flat parameter vector --------------------------------------------------------------

def test_unpack_layout_and_views():
    sizes = [3, 4, 2, 1]
    net = MLP(sizes, "tanh")
    assert net.n_params == 3 * 4 + 4 + 4 * 2 + 2 + 2 * 1 + 1
    w = np.arange(net.n_params, dtype=float)
    for (W, b), (W_ref, b_ref) in zip(net.unpack(w), layers_by_hand(sizes, w)):
        assert_allclose(W, W_ref)
        assert_allclose(b, b_ref)
    (W1, b1), (W2, b2), _ = net.unpack(w)
    assert W1.shape == (4, 3) and b1.shape == (4,) and W2.shape == (2, 4)
    W1[1, 2] = -1.0  # row-major: W_1[1, 2] is entry 1*3 + 2 = 5
    b1[0] = -2.0  # b_1 follows the 12 entries of W_1
    W2[0, 1] = -3.0  # W_2 starts at 12 + 4 = 16
    b2[1] = -4.0  # b_2 at 16 + 8 = 24
    assert w[5] == -1.0 and w[12] == -2.0 and w[17] == -3.0 and w[25] == -4.0
    assert np.sum(w < 0) == 4


def test_unpack_wrong_length_names_the_shape():
    net = MLP([2, 3, 1])
    with pytest.raises(ValueError, match=r"w has shape \(5,\).*13 parameters"):
        net.unpack(np.zeros(5))
    with pytest.raises(ValueError, match=r"w has shape \(13, 1\)"):
        net.loss(np.zeros((13, 1)), np.zeros((4, 2)), np.zeros(4))


def test_init_is_glorot_uniform_with_zero_biases():
    net = MLP([30, 50, 10], "tanh")
    w = net.init(seed=3)
    assert_allclose(w, net.init(seed=3))
    assert not np.allclose(w, net.init(seed=4))
    (W1, b1), (W2, b2) = net.unpack(w)
    assert np.all(b1 == 0) and np.all(b2 == 0)
    for W, r in ((W1, np.sqrt(6 / 80)), (W2, np.sqrt(6 / 60))):
        assert np.abs(W).max() <= r
        assert np.abs(W).max() > 0.95 * r  # uses the whole range
        assert np.var(W) == pytest.approx(r * r / 3, rel=0.15)  # variance of U(-r, r)


# --- validation ----------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (([2],), r"sizes must be at least two positive integers, got \[2\]"),
    (([2, 0, 1],), "sizes must be at least two positive integers"),
    (([2, 2.0, 1],), "sizes must be at least two positive integers"),
    (([2, True, 1],), "sizes must be at least two positive integers"),
    (([2, 3, 1], ["tanh"]), r"need 2 activations for sizes \[2, 3, 1\], got 1"),
    (([2, 3, 1], ["tanh", "tanh", "tanh"]), "need 2 activations.*got 3"),
    (([2, 3, 1], "swish"), "activation must be one of .*'softmax'.*got 'swish'"),
    (([2, 3, 1], ["tanh", None]), "activation must be one of .*got None"),
    (([2, 3, 1], ["sigmoid", "tanh"], "xent"), "divergence 'xent' needs a sigmoid or softmax output, got 'tanh'"),
    (([2, 3, 1], "relu", "xent"), "xent.*got 'relu'"),
    (([2, 3, 1], "sigmoid", "l1"), r"divergence must be one of \('l2', 'xent'\), got 'l1'"),
])
def test_constructor_errors(args, message):
    with pytest.raises(ValueError, match=message):
        MLP(*args)


@pytest.mark.parametrize("X, D, message", [
    (np.zeros((4, 3)), np.zeros(4), r"X must have shape \(T, 2\), got \(4, 3\)"),
    (np.zeros(2), np.zeros(1), r"X must have shape \(T, 2\), got \(2,\)"),
    (np.zeros((4, 2)), np.zeros(3), r"D must have shape \(4, 1\), got \(3, 1\)"),
    (np.zeros((4, 2)), np.zeros((4, 2)), r"D must have shape \(4, 1\), got \(4, 2\)"),
])
def test_data_shape_errors(X, D, message):
    net = MLP([2, 3, 1])
    w = net.init()
    for call in (lambda: net.loss(w, X, D), lambda: net.loss_grad(w, X, D), lambda: net.objective(X, D)):
        with pytest.raises(ValueError, match=message):
            call()


# --- training -------------------------------------------------------------------------------

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_D = np.array([0.0, 1.0, 1.0, 0.0])


@pytest.mark.parametrize("opt, max_iter", [(optim.Rprop(), 1000), (optim.GradientDescent(lr=2.0), 1000)],
                         ids=["Rprop", "GD"])
def test_xor_is_learned(opt, max_iter):
    net = MLP([2, 3, 1], ["tanh", "sigmoid"])
    w0 = net.init(seed=0)
    assert np.abs(net.predict(w0, XOR_X)[:, 0] - XOR_D).max() > 0.4  # not solved at the start
    trace = optim.minimize(net.objective(XOR_X, XOR_D), w0, opt, max_iter=max_iter, tol=1e-10)
    assert not trace.diverged
    y = net.predict(trace.w[-1], XOR_X)[:, 0]
    assert np.all(np.abs(y - XOR_D) < 0.4), y


# --- activations ------------------------------------------------------------------------------

Z = np.array([[-3.0, -0.7, 0.2, 1.5], [2.5, -1.1, 0.4, -0.05]])


@pytest.mark.parametrize("name", sorted(F))
def test_activation_values(name):
    f, _ = activations.get(name)
    for z in Z:
        assert_allclose(f(z), F[name](z), rtol=1e-13, atol=1e-15)
    assert_allclose(f(Z), [F[name](z) for z in Z], rtol=1e-13, atol=1e-15)  # row by row


@pytest.mark.parametrize("name", sorted(F))
def test_activation_backward_matches_finite_differences(name):
    f, backward = activations.get(name)
    G = np.random.default_rng(2).standard_normal(Z.shape)  # upstream gradient, a row per instance
    got = backward(Z, f(Z), G)
    for z, g, row in zip(Z, G, got):
        J = np.array([numdiff.grad(lambda v, i=i: f(v)[i], z) for i in range(len(z))])  # J[i, j] = dy_i/dz_j
        assert_allclose(row, g @ J, rtol=1e-7, atol=1e-9)
        assert_allclose(row, g @ JACOBIAN[name](z), rtol=1e-12, atol=1e-14)


def test_sigmoid_and_softmax_do_not_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert_allclose(activations.sigmoid([-800.0, 0.0, 800.0]), [0.0, 0.5, 1.0])
        f, _ = activations.get("softmax")
        assert_allclose(f(np.array([[800.0, -800.0, 800.0]])), [[0.5, 0.0, 0.5]])


@pytest.mark.parametrize("name", ["swish", "Tanh", None, ["tanh"]])
def test_unknown_activation(name):
    with pytest.raises(ValueError, match=r"activation must be one of \['identity', 'relu', 'sigmoid', "
                                         r"'softmax', 'tanh'\]"):
        activations.get(name)
