"""The NumPy engine against a plain textbook implementation of the objective."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, logsumexp

from skdigits._backends import _numpy
from skdigits._network import (
    HIDDEN_ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    layer_copies,
    n_params,
)

from _helpers import build_objective

LAYERS = [64, 12, 7, 5]


def reference_loss_and_grad(
    X, Y, sw, theta, layer_sizes, activation, out, alpha, rows=None
):
    """Row-major backprop written the obvious way, in float64."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    Y, w = np.asarray(Y, dtype=np.float64), sw / sw.sum()
    n = X.shape[0]
    if rows is not None:
        X, Y, w = X[rows], Y[rows], w[rows] * (n / len(rows))
    coefs, intercepts = layer_copies(theta, layer_sizes)
    f = {"logistic": expit, "tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}
    df = {
        "logistic": lambda a: a * (1 - a),
        "tanh": lambda a: 1 - a**2,
        "relu": lambda a: (a > 0).astype(float),
    }
    acts = [X]
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = acts[-1] @ W + b
        acts.append(Z if i == len(coefs) - 1 else f[activation](Z))
    Z = acts[-1]
    if out == "logistic":
        per_sample = (np.logaddexp(0, Z) - Y * Z).sum(axis=1)
        delta = expit(Z) - Y
    else:
        lse = logsumexp(Z, axis=1)
        per_sample = lse * Y.sum(axis=1) - (Y * Z).sum(axis=1)
        delta = np.exp(Z - lse[:, None]) - Y
    c = alpha / sw.sum()
    loss = w @ per_sample + 0.5 * c * sum((W**2).sum() for W in coefs)
    delta = delta * w[:, None]
    grads = [None] * len(coefs)
    for i in range(len(coefs) - 1, -1, -1):
        gW = acts[i].T @ delta + c * coefs[i]
        grads[i] = np.vstack([delta.sum(axis=0), gW])
        if i > 0:
            delta = (delta @ coefs[i].T) * df[activation](acts[i])
    return loss, np.concatenate([g.ravel() for g in grads])


def _problem(digits8, weighted, seed=0):
    X, y = digits8
    rng = np.random.RandomState(seed)
    idx = rng.choice(len(y), 300, replace=False)
    X, y = X[idx], y[idx] % LAYERS[-1]
    Y = np.eye(LAYERS[-1])[y]
    sw = rng.uniform(0.2, 3, size=len(y)) if weighted else np.ones(len(y))
    theta = rng.uniform(-0.5, 0.5, n_params(LAYERS))
    return X, Y, sw, theta


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("out_activation", OUTPUT_ACTIVATIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
def test_float64_matches_reference(
    digits8, activation, out_activation, weighted, sparse
):
    X, Y, sw, theta = _problem(digits8, weighted)
    f = build_objective(
        sp.csr_matrix(X) if sparse else X,
        Y,
        sw,
        l2=0.8,
        layer_sizes=LAYERS,
        activation=activation,
        out_activation=out_activation,
    )
    rows = np.random.RandomState(1).choice(len(Y), 50, replace=False)
    for batch in (None, rows, None):  # the full-batch buffers survive a minibatch
        loss, grad = f(theta, batch)
        ref_loss, ref_grad = reference_loss_and_grad(
            X, Y, sw, theta, LAYERS, activation, out_activation, 0.8, batch
        )
        assert grad.dtype == np.float64 and grad.shape == theta.shape
        assert loss == pytest.approx(ref_loss, rel=1e-12)
        np.testing.assert_allclose(
            grad, ref_grad, rtol=1e-12, atol=1e-12 * np.abs(ref_grad).max()
        )


def test_float32_is_computed_in_float32(digits8):
    X, Y, sw, theta = _problem(digits8, weighted=True)
    kw = dict(
        l2=1.0, layer_sizes=LAYERS, activation="logistic", out_activation="logistic"
    )
    f32 = build_objective(X.astype(np.float32), Y, sw, **kw)
    loss, grad = f32(theta)
    ref_loss, ref_grad = reference_loss_and_grad(
        X, Y, sw, theta, LAYERS, "logistic", "logistic", 1.0
    )
    assert grad.dtype == np.float64
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, atol=1e-5 * np.abs(ref_grad).max())
    # Single precision shows in the rounding: the gradient is not float64's.
    assert np.abs(grad - ref_grad).max() > 1e-12 * np.abs(ref_grad).max()


def test_each_gradient_is_a_new_array(digits8):
    # SciPy's optimizers keep the gradients they are handed.
    X, Y, sw, theta = _problem(digits8, weighted=False)
    f = build_objective(
        X,
        Y,
        sw,
        l2=1.0,
        layer_sizes=LAYERS,
        activation="tanh",
        out_activation="softmax",
    )
    _, g1 = f(theta)
    kept = g1.copy()
    _, g2 = f(theta + 0.1)
    assert g1 is not g2
    np.testing.assert_array_equal(g1, kept)


def test_extreme_logits_stay_finite():
    rng = np.random.RandomState(0)
    X = rng.rand(40, 6) * 1e4
    Y = np.eye(3)[rng.randint(0, 3, 40)]
    for activation in HIDDEN_ACTIVATIONS:
        f = build_objective(
            X,
            Y,
            np.ones(40),
            l2=1.0,
            layer_sizes=[6, 4, 3],
            activation=activation,
            out_activation="logistic",
        )
        theta = rng.uniform(-30, 30, n_params([6, 4, 3]))
        loss, grad = f(theta)
        ref_loss, ref_grad = reference_loss_and_grad(
            X, Y, np.ones(40), theta, [6, 4, 3], activation, "logistic", 1.0
        )
        assert np.isfinite(loss) and np.all(np.isfinite(grad))
        assert loss == pytest.approx(ref_loss, rel=1e-12)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-9)


def test_wrong_theta_length_is_rejected(digits8):
    X, Y, sw, theta = _problem(digits8, weighted=False)
    f = build_objective(
        X,
        Y,
        sw,
        l2=1.0,
        layer_sizes=LAYERS,
        activation="relu",
        out_activation="logistic",
    )
    with pytest.raises(ValueError, match="parameters"):
        f(theta[:-1])


def test_multiply_adds_counts_the_products(digits8):
    X, Y, sw, _ = _problem(digits8, weighted=False)
    f = build_objective(
        X,
        Y,
        sw,
        l2=1.0,
        layer_sizes=LAYERS,
        activation="relu",
        out_activation="logistic",
    )
    n = X.shape[0]
    # Forward and gradient products for every layer, and the back-propagated
    # error for every layer but the first.
    expected = n * (65 * 12 * 2 + (13 * 7 * 2 + 12 * 7) + (8 * 5 * 2 + 7 * 5))
    assert f.multiply_adds == expected


def test_dense_input_is_used_without_a_copy(digits8):
    # The engine keeps no copy of C-contiguous dense input (no column of
    # ones, no transpose): the fit's memory is the data plus small arrays.
    X, Y, sw, theta = _problem(digits8, weighted=True)
    X = np.ascontiguousarray(X)
    f = build_objective(
        X,
        Y,
        sw,
        l2=0.8,
        layer_sizes=LAYERS,
        activation="tanh",
        out_activation="logistic",
    )
    assert f._X is X
    rows = np.arange(0, len(Y), 3)
    for batch in (None, rows):
        loss, grad = f(theta, batch)
        ref_loss, ref_grad = reference_loss_and_grad(
            X, Y, sw, theta, LAYERS, "tanh", "logistic", 0.8, batch
        )
        assert loss == pytest.approx(ref_loss, rel=1e-12)
        np.testing.assert_allclose(
            grad, ref_grad, rtol=1e-12, atol=1e-12 * np.abs(ref_grad).max()
        )


def test_the_engine_has_kernels_for_exactly_the_activation_names():
    # The names live in skdigits._network; the engine's tables follow them.
    assert set(_numpy._HIDDEN) == set(HIDDEN_ACTIVATIONS)
    assert set(_numpy._OUTPUTS) == set(OUTPUT_ACTIVATIONS)
