"""The objective: row blocks of a data term by any engine, plus one penalty."""

import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from skdigits._backends import (
    Engine,
    Local,
    Objective,
    get_engine,
    row_blocks,
)
from skdigits._network import layer_views, n_params

from _helpers import BACKENDS, available_backend, build_objective

LAYERS = [64, 9, 4]


@pytest.fixture(params=BACKENDS)
def backend(request):
    return available_backend(request.param)


def _data(digits8, n=300, seed=0, dtype=np.float64):
    X, y = digits8
    rng = np.random.RandomState(seed)
    idx = rng.choice(len(y), n, replace=False)
    Y = np.eye(LAYERS[-1])[y[idx] % LAYERS[-1]]
    sw = rng.uniform(0.2, 3, size=n)
    theta = rng.uniform(-0.5, 0.5, n_params(LAYERS))
    return X[idx].astype(dtype), Y, sw, theta


def _engine(backend, dtype=np.float64, out_activation="logistic"):
    return get_engine(
        backend,
        dtype,
        layer_sizes=LAYERS,
        activation="tanh",
        out_activation=out_activation,
    )


# ------------------------------------------------------------ the protocol


@pytest.mark.parametrize("out_activation", ["logistic", "softmax"])
@pytest.mark.parametrize("sparse", [False, True])
def test_every_engine_conforms(digits8, backend, out_activation, sparse):
    X, Y, sw, theta = _data(digits8)
    engine = _engine(backend, out_activation=out_activation)
    assert isinstance(engine, Engine)
    assert isinstance(engine.block_rows, int) and engine.block_rows > 0
    assert isinstance(engine.threadable, bool)
    assert engine.dtype == np.float64
    data = sp.csr_matrix(X) if sparse else X
    loss, grad = engine(theta, data, Y, sw)
    assert isinstance(loss, float)
    assert grad.dtype == np.float64 and grad.shape == theta.shape
    # The data term only: a sample-weighted sum, no penalty, no division by
    # the total weight (the NumPy engine is the reference for the others).
    reference = _engine("numpy", out_activation=out_activation)
    ref_loss, ref_grad = reference(theta, X, Y, sw)
    assert loss == pytest.approx(ref_loss, rel=1e-10)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-9, atol=1e-12)
    # It is a sum over rows: two blocks add up to the whole.
    l1, g1 = engine(theta, data[:100], Y[:100], sw[:100])
    l2, g2 = engine(theta, data[100:], Y[100:], sw[100:])
    assert l1 + l2 == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(g1 + g2, grad, rtol=1e-10, atol=1e-12)
    # Doubling the weights doubles it.
    l_double, g_double = engine(theta, data, Y, 2 * sw)
    assert l_double == pytest.approx(2 * loss, rel=1e-12)
    np.testing.assert_allclose(g_double, 2 * grad, rtol=1e-12, atol=1e-14)


def test_engines_compute_in_their_dtype(digits8, backend):
    X, Y, sw, theta = _data(digits8)
    engine = _engine(backend, np.float32)
    loss, grad = engine(theta, X.astype(np.float32), Y, sw)
    ref_loss, ref_grad = _engine("numpy")(theta, X, Y, sw)
    assert grad.dtype == np.float64
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, atol=1e-4 * np.abs(ref_grad).max())
    assert np.abs(grad - ref_grad).max() > 0  # single precision shows


# --------------------------------------------------------- the objective


def test_the_penalty_is_added_once_whatever_the_blocks(digits8, backend, monkeypatch):
    X, Y, sw, theta = _data(digits8)
    lam = 0.7
    engine = _engine(backend)
    whole = Objective(engine, X, Y, sw, l2=lam, layer_sizes=LAYERS)
    monkeypatch.setattr(engine, "block_rows", 64, raising=False)
    blocked = Objective(engine, X, Y, sw, l2=lam, layer_sizes=LAYERS)
    assert len(blocked._blocks) == 5 and len(whole._blocks) == 1
    loss_w, grad_w = whole(theta)
    loss_b, grad_b = blocked(theta)
    assert loss_b == pytest.approx(loss_w, rel=1e-12)
    np.testing.assert_allclose(grad_b, grad_w, rtol=1e-10, atol=1e-13)
    # J = data / S + lam / (2 S) ||W||^2, the data term the engine's sum.
    S = sw.sum()
    data_loss, data_grad = engine(theta, X, Y, sw)
    squares = sum(float(np.sum(B[1:] ** 2)) for B in layer_views(theta, LAYERS))
    assert loss_b == pytest.approx(data_loss / S + lam / (2 * S) * squares, rel=1e-12)
    expected = data_grad / S
    for B, G in zip(layer_views(theta, LAYERS), layer_views(expected, LAYERS)):
        G[1:] += lam / S * B[1:]
    np.testing.assert_allclose(grad_b, expected, rtol=1e-10, atol=1e-13)
    assert blocked.penalty_factor == pytest.approx(lam / S)


def test_minibatch_estimate_is_unbiased(digits8):
    X, Y, sw, theta = _data(digits8, n=40)
    f = build_objective(X, Y, sw, layer_sizes=LAYERS, l2=0.3)
    full_loss, full_grad = f(theta)
    # The mean of the estimates over a partition into batches is the full value.
    parts = np.array_split(np.random.RandomState(1).permutation(40), 4)
    estimates = [f(theta, rows) for rows in parts]
    assert np.mean([e[0] for e in estimates]) == pytest.approx(full_loss, rel=1e-12)
    np.testing.assert_allclose(
        np.mean([e[1] for e in estimates], axis=0), full_grad, rtol=1e-9, atol=1e-13
    )


def test_an_objective_of_some_rows_is_a_part_of_the_whole(digits8):
    # A Dask chunk's objective: weights relative to the whole set's mean, the
    # whole set's penalty, and the work of its own rows only.
    X, Y, sw, theta = _data(digits8)
    whole = build_objective(X, Y, sw, layer_sizes=LAYERS, l2=0.3, activation="tanh")
    part = Objective(
        _engine("numpy"),
        X[:100],
        Y[:100],
        sw[:100],
        l2=0.3,
        layer_sizes=LAYERS,
        of=(300, sw.sum()),
    )
    loss, grad = part.data_term(theta)
    expected_loss, expected_grad = whole.data_term(theta, rows=np.arange(100))
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-14)
    assert part.penalty_factor == whole.penalty_factor
    assert part.n_samples == 100
    assert part.multiply_adds * 3 == whole.multiply_adds


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_same_bits_on_any_number_of_workers(digits8, dtype, monkeypatch):
    X, Y, sw, theta = _data(digits8, dtype=dtype)
    engine = _engine("numpy", dtype)
    monkeypatch.setattr(engine, "block_rows", 64, raising=False)
    f = Objective(engine, X, Y, sw, l2=1.0, layer_sizes=LAYERS)
    try:
        one, two, three = f(theta), f(theta, workers=2), f(theta, workers=3)
    finally:
        f.close()
    assert one[0] == two[0] == three[0]
    np.testing.assert_array_equal(one[1], two[1])
    np.testing.assert_array_equal(one[1], three[1])
    # The blocks did run in several threads.
    assert len({ident for _, ident in engine._work}) >= 2


def test_row_order_and_duplicates_give_the_same_objective_to_rounding(digits8):
    X, Y, sw, theta = _data(digits8, n=120)
    w = np.round(sw * 2) + 1  # whole weights
    ref = build_objective(X, Y, w, layer_sizes=LAYERS)(theta)
    perm = np.random.RandomState(3).permutation(len(w))
    shuffled = build_objective(X[perm], Y[perm], w[perm], layer_sizes=LAYERS)(theta)
    rows = np.repeat(np.arange(len(w)), w.astype(int))
    duplicated = build_objective(X[rows], Y[rows], layer_sizes=LAYERS)(theta)
    for other in (shuffled, duplicated):
        assert other[0] == pytest.approx(ref[0], rel=1e-13)
        np.testing.assert_allclose(other[1], ref[1], rtol=1e-11, atol=1e-14)


def test_weights_of_any_scale_in_float32(digits8):
    # Weights are handed to engines relative to their mean: 1e-30 or 1e30
    # give the objective of unit weights, in float32 too.
    X, Y, _, theta = _data(digits8, dtype=np.float32)
    ones = build_objective(X, Y, layer_sizes=LAYERS)(theta)
    for scale in (1e-30, 1e30):
        w = np.full(len(X), scale)
        loss, grad = build_objective(X, Y, w, layer_sizes=LAYERS, l2=scale)(theta)
        assert np.isfinite(loss) and np.all(np.isfinite(grad))
        assert loss == pytest.approx(ones[0], rel=1e-5)


def test_full_batch_uses_X_in_place():
    # No copy of X: the evaluation's allocations are a small share of X.
    rng = np.random.default_rng(0)
    X = rng.random((20000, 400), dtype=np.float32)  # 32 MB
    Y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, len(X))]
    layers = [400, 25, 10]
    theta = rng.uniform(-0.12, 0.12, n_params(layers))
    tracemalloc.start()
    try:
        f = build_objective(X, Y, layer_sizes=layers)
        assert f._X is X
        f(theta)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 0.1 * X.nbytes


def test_row_blocks_are_equal_and_cover_the_rows():
    blocks = row_blocks(10000, 2048)
    sizes = [b.stop - b.start for b in blocks]
    assert len(blocks) == 5 and max(sizes) - min(sizes) <= 1
    assert blocks[0].start == 0 and blocks[-1].stop == 10000
    assert all(a.stop == b.start for a, b in zip(blocks, blocks[1:]))
    assert row_blocks(0, 10) == [] and row_blocks(3, 10) == [slice(0, 3)]


def test_local_executor_adds_in_the_blocks_order():
    # Floating-point addition is not associative: the order is part of the
    # result, so it must not depend on which thread finishes first.
    values = [1e16, 1.0, -1e16, 1.0] * 5
    executor = Local()

    def term(i):
        return values[i], np.array([values[i]])

    try:
        serial = executor.map_sum(term, range(len(values)), workers=1)
        threaded = executor.map_sum(term, list(range(len(values))), workers=3)
    finally:
        executor.close()
    assert serial[0] == threaded[0]
    np.testing.assert_array_equal(serial[1], threaded[1])


def test_wrong_theta_length_is_rejected(digits8, backend):
    X, Y, sw, theta = _data(digits8)
    f = build_objective(X, Y, sw, layer_sizes=LAYERS, backend=backend)
    with pytest.raises(ValueError, match="parameters"):
        f(theta[:-1])


def test_unknown_backend():
    with pytest.raises(ValueError, match="Unknown backend"):
        get_engine(
            "torch",
            np.float64,
            layer_sizes=LAYERS,
            activation="tanh",
            out_activation="logistic",
        )
