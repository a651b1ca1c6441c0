"""The NumPy engine against a plain textbook implementation of the objective."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, logsumexp
from threadpoolctl import threadpool_limits

from skdigits._backends import _numpy
from skdigits._backends._numpy import NumpyObjective
from skdigits._network import (
    HIDDEN_ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    n_params,
    split,
)
from skdigits._threads import blas_threads_in_force

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
    coefs, intercepts = split(theta, layer_sizes)
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
    f = NumpyObjective(
        sp.csr_matrix(X) if sparse else X,
        Y,
        sw,
        alpha=0.8,
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
        alpha=1.0, layer_sizes=LAYERS, activation="logistic", out_activation="logistic"
    )
    f32 = NumpyObjective(X.astype(np.float32), Y, sw, **kw)
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
    f = NumpyObjective(
        X,
        Y,
        sw,
        alpha=1.0,
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
        f = NumpyObjective(
            X,
            Y,
            np.ones(40),
            alpha=1.0,
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
    f = NumpyObjective(
        X,
        Y,
        sw,
        alpha=1.0,
        layer_sizes=LAYERS,
        activation="relu",
        out_activation="logistic",
    )
    with pytest.raises(ValueError, match="parameters"):
        f(theta[:-1])


def test_multiply_adds_counts_the_products(digits8):
    X, Y, sw, _ = _problem(digits8, weighted=False)
    f = NumpyObjective(
        X,
        Y,
        sw,
        alpha=1.0,
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
    f = NumpyObjective(
        X,
        Y,
        sw,
        alpha=0.8,
        layer_sizes=LAYERS,
        activation="tanh",
        out_activation="logistic",
    )
    assert np.shares_memory(f._X, X)
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


# ------------------------------------------------- canonical form of the rows


def _collapse_cases():
    rng = np.random.default_rng(3)
    X = rng.integers(0, 3, size=(60, 5)).astype(np.float32)  # many duplicates
    y = rng.integers(0, 2, size=60)
    w = rng.integers(0, 3, size=60).astype(np.float64)
    return X, y, w


def test_collapse_rows_is_order_and_duplicate_independent():
    from skdigits._canonical import collapse_rows

    X, y, w = _collapse_cases()
    ref = collapse_rows(X, y, w)
    perm = np.random.default_rng(4).permutation(len(X))
    for out in (
        collapse_rows(X[perm], y[perm], w[perm]),
        # each row of weight k given as k rows of weight 1
        collapse_rows(
            np.repeat(X, w.astype(int), axis=0),
            np.repeat(y, w.astype(int)),
            np.ones(int(w.sum())),
        ),
    ):
        for a, b in zip(ref, out):
            np.testing.assert_array_equal(a, b)
    assert np.all(ref[2] > 0)
    assert bool(np.isclose(ref[2].sum(), w.sum()))
    # no (row, label) pair appears twice
    pairs = {(r.tobytes(), int(c)) for r, c in zip(ref[0], ref[1])}
    assert len(pairs) == len(ref[0])


def test_collapse_rows_copy_is_aligned_for_tensorflow():
    from skdigits._canonical import ALIGNMENT, collapse_rows

    X, y, w = _collapse_cases()
    for dtype in (np.float32, np.float64):
        for start in range(4):  # inputs at various offsets
            out = collapse_rows(X[start:].astype(dtype), y[start:], w[start:])[0]
            assert out.ctypes.data % ALIGNMENT == 0
            assert out.flags.c_contiguous and out.flags.writeable
            assert out.dtype == dtype


def test_collapse_rows_survives_hash_collisions(monkeypatch):
    from skdigits import _canonical

    X, y, w = _collapse_cases()
    exact = _canonical._collapse_exact(X, y, w)
    # every row hashes alike: distinct rows collide, the exact path must run
    monkeypatch.setattr(
        _canonical, "_row_hashes", lambda X: np.zeros(len(X), dtype=np.uint64)
    )
    collided = _canonical.collapse_rows(X, y, w)
    for a, b in zip(exact, collided):
        np.testing.assert_array_equal(a, b)


def test_row_hashes_do_not_collide_on_few_bit_floats():
    # Pixels like k / 16 or small integers in float64 have their low 52 bits
    # zero; unmixed, the linear hash kept 12 bits of them (52 collisions among
    # the digits' 1797 rows, 13 among 57 rows of 0/1/2), and every such fit
    # took the slow exact path.
    from sklearn.datasets import load_digits

    from skdigits._canonical import _row_hashes, _row_keys

    digits = load_digits().data
    small_ints = np.random.default_rng(3).integers(0, 4, size=(20000, 6))
    for X in (digits / 16, digits, small_ints):
        for dtype in (np.float64, np.float32):
            Xd = np.ascontiguousarray(X, dtype=dtype)
            distinct = len(np.unique(_row_keys(Xd)))
            assert len(np.unique(_row_hashes(Xd))) == distinct


def test_row_hashes_equal_for_equal_rows():
    from skdigits._canonical import _row_hashes

    for dtype in (np.float32, np.float64):
        X = np.random.default_rng(5).random((7, 13)).astype(dtype)
        X = np.vstack([X, X[::-1]])
        h = _row_hashes(X)
        np.testing.assert_array_equal(h[:7], h[7:][::-1])
        assert len(np.unique(h)) == 7


def _in_blocks_of_60(monkeypatch, digits8, dtype, out_activation):
    """The objective of 300 weighted rows, evaluated in 5 blocks of 60."""
    monkeypatch.setattr(_numpy, "_BLOCK_ROWS", 64)
    X, Y, sw, theta = _problem(digits8, weighted=True)
    f = NumpyObjective(
        X.astype(dtype),
        Y,
        sw,
        alpha=0.8,
        layer_sizes=LAYERS,
        activation="logistic",
        out_activation=out_activation,
    )
    return f, (X, Y, sw, theta)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_full_batch_in_blocks_matches_reference(monkeypatch, digits8, dtype):
    # Large dense inputs are evaluated over blocks of rows (small work arrays);
    # the sum over the blocks is the same objective and gradient.
    f, (X, Y, sw, theta) = _in_blocks_of_60(monkeypatch, digits8, dtype, "softmax")
    loss, grad = f(theta)
    ref_loss, ref_grad = reference_loss_and_grad(
        X, Y, sw, theta, LAYERS, "logistic", "softmax", 0.8
    )
    rtol = 1e-12 if dtype == np.float64 else 1e-4
    assert loss == pytest.approx(ref_loss, rel=rtol)
    np.testing.assert_allclose(
        grad, ref_grad, rtol=rtol, atol=rtol * np.abs(ref_grad).max()
    )
    assert max(m for m, _ in f._work) <= 64


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_full_batch_is_the_same_bits_on_any_thread_count(monkeypatch, digits8, dtype):
    # With two BLAS threads in force, the blocks run in two Python threads (one
    # BLAS thread each), and their gradients are still added in order: the
    # same bits as on one thread. (OpenBLAS's own threads change the last
    # bits, so the driver's thread choice would make fits differ from run to
    # run.)
    f, (_, _, _, theta) = _in_blocks_of_60(monkeypatch, digits8, dtype, "logistic")
    with threadpool_limits(1, user_api="blas"):
        one = f(theta)
    with threadpool_limits(2, user_api="blas"):
        two = f(theta)
        assert blas_threads_in_force() == 2  # restored after the blocks
    assert one[0] == two[0]
    np.testing.assert_array_equal(one[1], two[1])
    # the blocks, of equal sizes, ran in more than one thread
    assert {m for m, _ in f._work} == {60}
    assert len({ident for _, ident in f._work}) >= 2


def test_minibatch_is_the_same_bits_on_any_thread_count():
    # A float32 batch of 200 rows at 784-100-10: on two OpenBLAS threads its
    # products round differently, so it runs on one whatever is in force.
    rng = np.random.default_rng(0)
    X = rng.random((400, 784), dtype=np.float32)
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 400)]
    layers = [784, 100, 10]
    f = NumpyObjective(
        X,
        Y,
        np.ones(400),
        alpha=1.0,
        layer_sizes=layers,
        activation="logistic",
        out_activation="logistic",
    )
    theta = rng.uniform(-0.12, 0.12, n_params(layers))
    rows = rng.permutation(400)[:200]
    with threadpool_limits(1, user_api="blas"):
        one = f(theta, rows)
    with threadpool_limits(2, user_api="blas"):
        two = f(theta, rows)
        assert blas_threads_in_force() == 2
    assert one[0] == two[0]
    np.testing.assert_array_equal(one[1], two[1])


def test_the_engine_has_kernels_for_exactly_the_activation_names():
    # The names live in skdigits._network; the engine's tables follow them.
    assert set(_numpy._HIDDEN) == set(HIDDEN_ACTIVATIONS)
    assert set(_numpy._OUTPUTS) == set(OUTPUT_ACTIVATIONS)
