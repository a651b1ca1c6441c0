import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import approx_fprime

from skdigits._network import (
    HIDDEN_ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    forward_logits,
    initial_theta,
    layer_copies,
    layer_views,
    log_proba_from_logits,
    n_params,
    theta_from_layers,
)

from _helpers import build_objective

LAYERS = [5, 4, 3, 3]


def _problem(rng, out_activation, weighted, dtype=np.float64):
    X = rng.rand(11, LAYERS[0]).astype(dtype)
    y = rng.randint(0, LAYERS[-1], size=11)
    Y = np.eye(LAYERS[-1])[y]
    sw = rng.uniform(0.1, 3, size=11) if weighted else np.ones(11)
    return X, Y, sw


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("out_activation", OUTPUT_ACTIVATIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_matches_finite_differences(activation, out_activation, weighted, rng):
    X, Y, sw = _problem(rng, out_activation, weighted)
    f = build_objective(
        X,
        Y,
        sw,
        l2=0.7,
        layer_sizes=LAYERS,
        activation=activation,
        out_activation=out_activation,
    )
    theta = rng.uniform(-1, 1, n_params(LAYERS))
    loss, grad = f(theta)
    numeric = approx_fprime(theta, lambda t: f(t)[0], 1e-7)
    assert np.linalg.norm(grad - numeric) / np.linalg.norm(grad + numeric) < 1e-6


@pytest.mark.parametrize("out_activation", OUTPUT_ACTIVATIONS)
def test_loss_is_the_documented_objective(out_activation, rng):
    X, Y, sw = _problem(rng, out_activation, weighted=True)
    alpha = 1.3
    f = build_objective(
        X,
        Y,
        sw,
        l2=alpha,
        layer_sizes=LAYERS,
        activation="tanh",
        out_activation=out_activation,
    )
    theta = rng.uniform(-1, 1, n_params(LAYERS))
    coefs, intercepts = layer_copies(theta, LAYERS)
    logits = forward_logits(X, coefs, intercepts, "tanh")
    if out_activation == "logistic":
        P = 1 / (1 + np.exp(-logits))
        per_sample = -(Y * np.log(P) + (1 - Y) * np.log(1 - P)).sum(axis=1)
    else:
        P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        per_sample = -(Y * np.log(P)).sum(axis=1)
    penalty = alpha / (2 * sw.sum()) * sum((W**2).sum() for W in coefs)
    expected = (sw * per_sample).sum() / sw.sum() + penalty
    assert f(theta)[0] == pytest.approx(expected, rel=1e-12)


def test_loss_is_stable_for_huge_logits(rng):
    X = rng.rand(6, 3) * 1e8
    Y = np.eye(2)[[0, 1, 0, 1, 0, 1]]
    for out in ["logistic", "softmax"]:
        f = build_objective(
            X,
            Y,
            np.ones(6),
            l2=1.0,
            layer_sizes=[3, 2, 2],
            activation="relu",
            out_activation=out,
        )
        loss, grad = f(rng.uniform(-1, 1, n_params([3, 2, 2])))
        assert np.isfinite(loss) and np.all(np.isfinite(grad))


def test_sparse_and_dense_agree(rng):
    X, Y, sw = _problem(rng, "logistic", weighted=True)
    X[X < 0.5] = 0
    theta = rng.uniform(-1, 1, n_params(LAYERS))
    kw = dict(
        l2=0.5, layer_sizes=LAYERS, activation="logistic", out_activation="logistic"
    )
    dense = build_objective(X, Y, sw, **kw)(theta)
    sparse = build_objective(sp.csr_matrix(X), Y, sw, **kw)(theta)
    assert dense[0] == pytest.approx(sparse[0], rel=1e-13)
    np.testing.assert_allclose(dense[1], sparse[1], rtol=1e-12, atol=1e-15)


def test_float32_objective_close_to_float64(rng):
    X, Y, sw = _problem(rng, "logistic", weighted=False)
    theta = rng.uniform(-1, 1, n_params(LAYERS))
    kw = dict(
        l2=1.0, layer_sizes=LAYERS, activation="logistic", out_activation="logistic"
    )
    l64, g64 = build_objective(X, Y, sw, **kw)(theta)
    l32, g32 = build_objective(X.astype(np.float32), Y, sw, **kw)(theta)
    assert g32.dtype == np.float64
    assert l32 == pytest.approx(l64, rel=1e-5)
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-5)


def test_minibatch_rows_are_an_unbiased_estimate(rng):
    X, Y, sw = _problem(rng, "softmax", weighted=True)
    f = build_objective(
        X,
        Y,
        sw,
        l2=1.0,
        layer_sizes=LAYERS,
        activation="relu",
        out_activation="softmax",
    )
    theta = rng.uniform(-1, 1, n_params(LAYERS))
    full_loss, full_grad = f(theta)
    # Each row once, as n single-row batches: their mean is the full objective.
    parts = [f(theta, np.array([i])) for i in range(X.shape[0])]
    assert np.mean([p[0] for p in parts]) == pytest.approx(full_loss, rel=1e-12)
    np.testing.assert_allclose(
        np.mean([p[1] for p in parts], axis=0), full_grad, rtol=1e-10
    )


def test_layout_is_the_course_unrolling(rng):
    # theta is [Theta1(:); Theta2(:)] with Theta of shape (n_out, 1 + n_in).
    Theta1, Theta2 = rng.rand(4, 6), rng.rand(3, 5)
    theta = initial_theta([5, 4, 3], [Theta1, Theta2], 0.12, rng)
    expected = np.concatenate([Theta1.ravel(order="F"), Theta2.ravel(order="F")])
    np.testing.assert_array_equal(theta, expected)
    blocks = layer_views(theta, [5, 4, 3])
    np.testing.assert_array_equal(blocks[0], Theta1.T)
    coefs, intercepts = layer_copies(theta, [5, 4, 3])
    np.testing.assert_array_equal(coefs[1], Theta2[:, 1:].T)
    np.testing.assert_array_equal(intercepts[1], Theta2[:, 0])
    np.testing.assert_array_equal(theta_from_layers(coefs, intercepts), theta)


def test_uniform_init_bounds(rng):
    theta = initial_theta([400, 25, 10], "uniform", 0.12, rng)
    assert theta.shape == (25 * 401 + 10 * 26,)
    assert np.abs(theta).max() <= 0.12 and np.abs(theta).max() > 0.11


def test_logistic_probabilities_are_normalised_without_underflow():
    Z = np.array([[-800.0, -900.0, -1000.0], [3.0, 1.0, -2.0]])
    P = np.exp(log_proba_from_logits(Z, "logistic"))
    np.testing.assert_allclose(P.sum(axis=1), 1)
    assert np.all(np.isfinite(P))
    assert P[0].argmax() == 0 and P[1].argmax() == 0


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_forward_logits_does_not_warn_on_huge_pre_activations(activation):
    # Prediction runs outside the engine's np.errstate: an activation that
    # overflowed would raise (pytest turns RuntimeWarnings into errors).
    X = np.array([[1.0], [-1.0]])
    coefs, intercepts = [np.array([[1e4]]), np.array([[1.0]])], [np.zeros(1)] * 2
    logits = forward_logits(X, coefs, intercepts, activation)
    assert np.all(np.isfinite(logits))


def test_forward_logits_recomputes_float32_overflow_in_float64():
    # The weights of a diverging float32 fit times large inputs overflow
    # float32 in the output layer (relu: inf * +-w gives NaN), not float64.
    X = np.array([[1e8], [0.0]], dtype=np.float32)
    coefs = [np.array([[4e16]], np.float32), np.array([[2e16, -2e16]], np.float32)]
    intercepts = [np.zeros(1, np.float32), np.zeros(2, np.float32)]
    logits = forward_logits(X, coefs, intercepts, "relu")
    assert logits.dtype == np.float64
    np.testing.assert_allclose(logits[0], [8e40, -8e40], rtol=1e-6)
    np.testing.assert_array_equal(logits[1], [0, 0])


def test_forward_logits_refuses_outputs_that_overflow_float64():
    X = np.array([[1e300], [1.0]])
    coefs, intercepts = (
        [np.array([[1e300]]), np.array([[1.0, -1.0]])],
        [np.zeros(1), np.zeros(2)],
    )
    with pytest.raises(ValueError, match="overflow.*Scale the data"):
        forward_logits(X, coefs, intercepts, "relu")
