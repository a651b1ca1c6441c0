"""The Keras backend: same objective, same fits, export."""

import pickle
import subprocess
import sys
import threading
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from skdigits import MLPDigitClassifier  # noqa: E402
from skdigits._backends import _numpy, get_backend  # noqa: E402
from skdigits._keras import layers, objective  # noqa: E402
from skdigits._network import initial_theta, pack  # noqa: E402
from skdigits.course import build_keras_model  # noqa: E402

from _helpers import (  # noqa: E402
    FAST,
    HIDDEN_ACTIVATIONS,
    LR,
    OUTPUT_ACTIVATIONS,
    fit_fast,
    learning_rate,
)


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.max(np.abs(a - b) / np.abs(a))


def _rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")  # pragma: no cover


# ---------------------------------------------------------------- objective


@pytest.mark.parametrize(
    "activation, out_activation",
    [("logistic", "logistic"), ("tanh", "softmax"), ("relu", "logistic")],
)
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("sparse", [False, True])
def test_objective_matches_numpy(
    digits20, rng, activation, out_activation, dtype, rtol, sparse
):
    X, y = digits20
    X = X[:300].astype(dtype)
    Y = np.eye(10)[y[:300]]
    layer_sizes = [400, 12, 7, 10]
    sw = rng.uniform(0.5, 2.0, len(X))
    theta = initial_theta(layer_sizes, "uniform", 0.3, rng)
    kwargs = dict(
        alpha=0.7,
        layer_sizes=layer_sizes,
        activation=activation,
        out_activation=out_activation,
    )
    reference = _numpy.make_objective(X, Y, sw, **kwargs)
    keras_objective = objective.make_objective(
        sp.csr_matrix(X) if sparse else X, Y, sw, **kwargs
    )
    for rows in [None, np.array([5, 3, 200, 17, 99])]:
        loss, grad = keras_objective(theta, rows)
        ref_loss, ref_grad = reference(theta, rows)
        assert isinstance(loss, float) and grad.dtype == np.float64
        assert loss == pytest.approx(ref_loss, rel=rtol)
        np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=rtol * 10)


def test_objective_runs_in_the_data_dtype_and_traces_once(digits20):
    X, y = digits20
    Y = np.eye(10)[y]
    kwargs = dict(
        alpha=1.0,
        layer_sizes=[400, 9, 10],
        activation="logistic",
        out_activation="logistic",
    )
    theta = initial_theta([400, 9, 10], "uniform", 0.12, np.random.RandomState(0))
    f64 = objective.make_objective(X, Y, np.ones(len(y)), **kwargs)
    f32 = objective.make_objective(X.astype(np.float32), Y, np.ones(len(y)), **kwargs)
    l64, l32 = f64(theta)[0], f32(theta)[0]
    # float32 arithmetic: close, but not float64's number.
    assert l32 == pytest.approx(l64, rel=1e-5) and l32 != l64
    # One trace per network shape and dtype, shared by objectives and calls.
    other = objective.make_objective(X[:100], Y[:100], np.ones(100), **kwargs)
    for f in (f64, other, f64):
        f(theta)
        f(theta, np.arange(10))
    assert f64._full_fn is other._full_fn
    assert f64._full_fn.experimental_get_tracing_count() == 1
    # Minibatches of every size, the short last one of an epoch included, run
    # through one trace, gathered from the data held on the TensorFlow side.
    for size in (200, 57, 1):
        rows = np.arange(size) % len(y)
        loss = f64(theta, rows)[0]
        assert loss == pytest.approx(f64(theta, rows[::-1].copy())[0], rel=1e-12)
    assert f64._batch_fn is other._batch_fn
    assert f64._batch_fn.experimental_get_tracing_count() == 1


def _offset_array(shape, dtype, offset):
    """An empty array whose data starts ``offset`` bytes past a 64-byte boundary."""
    n_bytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    buffer = np.empty(n_bytes + 128, dtype=np.uint8)
    start = -buffer.ctypes.data % 64 + offset
    return buffer[start : start + n_bytes].view(dtype).reshape(shape)


def test_full_batch_objective_shares_the_canonical_copy(rng):
    # A full-batch fit's data is the canonical copy of its rows: allocated
    # aligned, TensorFlow can share it instead of holding a second copy.
    from skdigits._canonical import collapse_rows

    X = _offset_array((300, 40), np.float32, 16)
    X[...] = rng.uniform(size=X.shape)
    y = rng.randint(0, 10, len(X))
    canonical = collapse_rows(X, y, np.ones(len(X)))[0]
    assert objective._aligned(canonical, canonical.dtype) is canonical
    assert objective._aligned(X, X.dtype) is not X


@pytest.mark.parametrize("offset, copies", [(0, 0), (16, 1)])
def test_objective_holds_dense_data_once_at_most(rng, offset, copies):
    # TensorFlow needs 64-byte aligned memory: an aligned array is shared, any
    # other copied once. (tf.constant of the data took and kept twice its size.)
    X = _offset_array((20000, 800), np.float32, offset)
    X[...] = rng.uniform(size=X.shape)
    y = rng.randint(0, 10, len(X))
    Y = np.eye(10)[y]
    kwargs = dict(
        alpha=1.0,
        layer_sizes=[800, 5, 10],
        activation="logistic",
        out_activation="logistic",
    )
    theta = initial_theta([800, 5, 10], "uniform", 0.12, rng)
    # Warm-up: the traces and TensorFlow's allocator pools.
    objective.make_objective(X[:50].copy(), Y[:50], np.ones(50), **kwargs)(theta)
    objective.make_objective(X[:50].copy(), Y[:50], np.ones(50), **kwargs)(
        theta, np.arange(10)
    )
    before = _rss_mb()
    f = objective.make_objective(X, Y, np.ones(len(X)), **kwargs)
    loss, _ = f(theta)
    f(theta, np.arange(200))
    growth = _rss_mb() - before
    data_mb = X.nbytes / 2**20
    assert growth < (copies + 0.3) * data_mb, (
        f"RSS grew by {growth:.0f} MB for {data_mb:.0f} MB of data"
    )
    reference = _numpy.make_objective(X, Y, np.ones(len(X)), **kwargs)
    assert loss == pytest.approx(reference(theta)[0], rel=1e-5)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_full_batch_over_several_row_blocks_matches_numpy(digits8, rng, dtype, rtol):
    # More rows than one block of the full-batch evaluation, the last block short.
    X, y = digits8
    n = objective._BLOCK_ROWS + 808
    take = rng.randint(0, len(X), n)
    X, Y = X[take].astype(dtype), np.eye(10)[y[take]]
    sw = rng.uniform(0.5, 2.0, n)
    kwargs = dict(
        alpha=0.3,
        layer_sizes=[64, 6, 10],
        activation="tanh",
        out_activation="logistic",
    )
    theta = initial_theta([64, 6, 10], "uniform", 0.3, rng)
    loss, grad = objective.make_objective(X, Y, sw, **kwargs)(theta)
    ref_loss, ref_grad = _numpy.make_objective(X, Y, sw, **kwargs)(theta)
    assert loss == pytest.approx(ref_loss, rel=rtol)
    np.testing.assert_allclose(grad, ref_grad, rtol=0, atol=rtol * 10)


def test_objective_of_read_only_and_fortran_ordered_data(digits20):
    X, y = digits20
    X, Y = X[:300], np.eye(10)[y[:300]]
    kwargs = dict(
        alpha=0.5,
        layer_sizes=[400, 8, 10],
        activation="logistic",
        out_activation="softmax",
    )
    theta = initial_theta([400, 8, 10], "uniform", 0.12, np.random.RandomState(0))
    read_only = X.copy()
    read_only.flags.writeable = False
    rows = np.array([4, 0, 299, 4])
    reference = _numpy.make_objective(X, Y, np.ones(300), **kwargs)
    expected, expected_full = reference(theta, rows), reference(theta)[0]
    for data in (read_only, np.asfortranarray(X), X[:, ::-1][:, ::-1]):
        f = objective.make_objective(data, Y, np.ones(300), **kwargs)
        loss, grad = f(theta, rows)
        assert loss == pytest.approx(expected[0], rel=1e-12)
        np.testing.assert_allclose(grad, expected[1], rtol=0, atol=1e-12)
        assert f(theta)[0] == pytest.approx(expected_full, rel=1e-12)


@pytest.mark.parametrize("solver", ["lbfgs", "cg"])
def test_full_batch_fit_matches_numpy_backend(
    digits20, solver, assert_clear_predictions_agree
):
    X, y = digits20
    fits = {
        backend: fit_fast(
            X,
            y,
            solver=solver,
            backend=backend,
            hidden_layer_sizes=(25,),
            max_iter=50,
        )
        for backend in ("numpy", "keras")
    }
    a, b = fits["numpy"], fits["keras"]
    assert len(a.loss_curve_) == len(b.loss_curve_) == 50
    # Measured: <= 2e-15 (lbfgs) and <= 3e-13 (cg) over the first 10 iterations,
    # 7e-11 and 1e-8 after 50.
    assert _rel(a.loss_curve_[:10], b.loss_curve_[:10]) < 1e-9
    assert b.loss_ == pytest.approx(a.loss_, rel=1e-6)
    assert_clear_predictions_agree(a.predict(X), b.predict(X), a.predict_proba(X))


def test_tnc_fit_matches_numpy_backend_as_closely_as_tnc_allows(digits20):
    # SciPy's TNC builds Hessian-vector products from finite differences of
    # the gradient, which amplify rounding by about 1e8: the NumPy backend
    # alone, with 1 and then 2 OpenBLAS threads (gradients 1e-16 apart),
    # gives loss curves 4e-8 apart at iteration 4 and 8e-5 at iteration 11.
    # So TNC's curves agree over the first iterations only; later, where a fit
    # ends depends on the last bits of every gradient (the two backends were
    # measured 5% apart in loss after 20 iterations), which no test may rely on.
    X, y = digits20
    a, b = (
        fit_fast(
            X, y, solver="tnc", backend=backend, hidden_layer_sizes=(25,), max_iter=6
        )
        for backend in ("numpy", "keras")
    )
    assert len(a.loss_curve_) == len(b.loss_curve_) == 6
    assert _rel(a.loss_curve_[:3], b.loss_curve_[:3]) < 1e-7
    assert _rel(a.loss_curve_, b.loss_curve_) < 1e-3
    assert b.loss_curve_[-1] < 0.9 * b.loss_curve_[0]  # TNC made progress


def test_float32_and_sparse_keras_fits(small_digits):
    X, y = small_digits
    for solver in ["lbfgs", "adam"]:
        lr = learning_rate(solver)
        f32 = fit_fast(
            X.astype(np.float32),
            y,
            solver=solver,
            backend="keras",
            learning_rate_init=lr,
        )
        assert f32.coefs_[0].dtype == np.float32 and f32.score(X, y) > 0.95
        dense = fit_fast(X, y, solver=solver, backend="keras", learning_rate_init=lr)
        sparse = fit_fast(
            sp.csr_matrix(X), y, solver=solver, backend="keras", learning_rate_init=lr
        )
        np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], atol=1e-9)


# ---------------------------------------------------------- minibatch solvers


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatch_fit_follows_the_numpy_backend(small_digits, solver):
    X, y = small_digits
    a = fit_fast(X, y, solver=solver, learning_rate_init=LR[solver])
    b = fit_fast(X, y, solver=solver, backend="keras", learning_rate_init=LR[solver])
    # The same driver loop, the same minibatches in the same order: the two
    # differ only by the rounding inside the objectives.
    assert b.n_iter_ == a.n_iter_ == 30
    assert _rel(a.loss_curve_, b.loss_curve_) < 1e-6
    np.testing.assert_allclose(b.coefs_[0], a.coefs_[0], rtol=0, atol=1e-6)


def test_memory_does_not_grow_over_many_network_shapes(small_digits):
    # A grid search over widths: one trace serves every width, so memory stays
    # flat. (A trace per width kept about 2 MB each: 150 MB over 120 widths.)
    X, y = small_digits

    def fit(width):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            MLPDigitClassifier(
                backend="keras",
                solver="adam",
                max_iter=1,
                hidden_layer_sizes=(width,),
                random_state=0,
            ).fit(X, y)

    for width in range(1, 4):  # warm-up: imports, the trace, allocator pools
        fit(width)
    before = _rss_mb()
    for width in range(4, 64):
        fit(width)
    growth = _rss_mb() - before
    assert growth < 25, f"RSS grew by {growth:.1f} MB over 60 network shapes"


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatch_fit_is_reproducible_and_leaves_global_seeds(small_digits, solver):
    X, y = small_digits

    def draws():
        return (
            np.random.rand(3),
            keras.random.uniform((3,)).numpy(),
            tf.random.uniform((3,)).numpy(),
        )

    keras.utils.set_random_seed(1234)
    expected = draws()
    keras.utils.set_random_seed(1234)
    a = fit_fast(X, y, solver=solver, backend="keras", learning_rate_init=LR[solver])
    b = fit_fast(X, y, solver=solver, backend="keras", learning_rate_init=LR[solver])
    got = draws()
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(e, g)
    # Exact: same seed, same data, same Keras trainer in one process.
    for Wa, Wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(Wa, Wb)
    c = fit_fast(
        X,
        y,
        solver=solver,
        backend="keras",
        learning_rate_init=LR[solver],
        random_state=1,
    )
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_partial_fit_carries_the_optimizer_state(small_digits):
    X, y = small_digits
    chunks = np.array_split(np.arange(len(y)), 4)
    fits = {}
    for backend in ("numpy", "keras"):
        clf = MLPDigitClassifier(
            solver="adam", learning_rate_init=0.01, backend=backend, random_state=0
        )
        for rows in chunks:
            clf.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        fits[backend] = clf
    a, b = fits["numpy"], fits["keras"]
    assert a.n_iter_ == b.n_iter_ == 4
    assert b._optimizer_state["t"] == a._optimizer_state["t"]
    assert all(isinstance(v, np.ndarray | int) for v in b._optimizer_state.values())
    np.testing.assert_allclose(b.coefs_[0], a.coefs_[0], rtol=0, atol=1e-5)
    # The state is in one format: a fit can switch backends mid-way.
    mixed = MLPDigitClassifier(solver="sgd", learning_rate_init=0.1, random_state=0)
    pure = clone(mixed)
    for i, rows in enumerate(chunks):
        mixed.set_params(backend=("numpy", "keras")[i % 2])
        mixed.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
        pure.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    np.testing.assert_allclose(mixed.coefs_[1], pure.coefs_[1], rtol=0, atol=1e-5)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatch_early_stopping_convergence_and_warning(small_digits, solver):
    X, y = small_digits
    lr = LR[solver]
    clf = fit_fast(
        X,
        y,
        solver=solver,
        backend="keras",
        learning_rate_init=lr,
        early_stopping=True,
        max_iter=60,
    )
    assert len(clf.validation_scores_) == clf.n_iter_ < 60
    assert clf.best_validation_score_ == max(clf.validation_scores_) > 0.9
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        converged = MLPDigitClassifier(
            solver=solver,
            backend="keras",
            learning_rate_init=lr,
            tol=1.0,
            n_iter_no_change=3,
            max_iter=500,
            random_state=0,
        ).fit(X, y)
    assert converged.n_iter_ == 4
    with pytest.warns(ConvergenceWarning, match="maximum of 3 iterations"):
        MLPDigitClassifier(solver=solver, backend="keras", max_iter=3).fit(X, y)


def test_non_finite_minibatch_training_raises(small_digits):
    X, y = small_digits
    with pytest.raises(ValueError, match="non-finite"):
        MLPDigitClassifier(
            solver="sgd",
            backend="keras",
            activation="relu",
            learning_rate_init=1e3,
            max_iter=5,
            random_state=0,
        ).fit(X * 1e150, y)


def test_memory_does_not_grow_over_50_fits(small_digits):
    X, y = small_digits
    # One iteration a fit: the growth measured is per fit (model, trainer,
    # optimizer), not per iteration.
    params = dict(backend="keras", max_iter=1, hidden_layer_sizes=(10,))
    configs = [dict(solver="sgd", learning_rate_init=0.1), dict(solver="lbfgs")]

    def fit(i):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            MLPDigitClassifier(**params, **configs[i % 2], random_state=i).fit(X, y)

    for i in range(6):  # warm-up: imports, traces, allocator pools
        fit(i)
    before = _rss_mb()
    for i in range(50):
        fit(i)
        if i % 10 == 9:  # users may clear the Keras session between fits
            keras.backend.clear_session()
    growth = _rss_mb() - before
    # Measured: about 1 MB; building a fresh Keras model per fit grew by 2 MB
    # a fit (100 MB here), clear_session() or not.
    assert growth < 50, f"RSS grew by {growth:.1f} MB over 50 fits"


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_concurrent_fits_in_threads(small_digits):
    X, y = small_digits
    params = dict(solver="adam", backend="keras", learning_rate_init=0.01)
    expected = fit_fast(X, y, **params)
    results = [None, None]

    def work(i):
        results[i] = fit_fast(X, y, **params)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Exact: each thread runs the same seeded trainer as the serial fit, in one
    # process; concurrency must not leak state between the fits.
    for clf in results:
        np.testing.assert_array_equal(clf.coefs_[0], expected.coefs_[0])


# --------------------------------------------------------- state and pickle


def _keras_objects(obj, seen=None):
    """Every Keras or TensorFlow object reachable from ``obj``'s attributes."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    module = type(obj).__module__ or ""
    if module.startswith(("keras", "tensorflow", "tf_keras")):
        return [obj]
    if isinstance(obj, dict):
        children = list(obj.values())
    elif isinstance(obj, list | tuple):
        children = list(obj)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        children = list(vars(obj).values())
    else:
        children = []
    return [found for child in children for found in _keras_objects(child, seen)]


def test_fitted_state_is_numpy_and_unpickles_without_tensorflow(small_digits, tmp_path):
    X, y = small_digits
    for solver in ["lbfgs", "adam"]:
        clf = fit_fast(X, y, solver=solver, backend="keras", learning_rate_init=0.01)
        assert _keras_objects(clf) == []
        path = tmp_path / f"{solver}.pkl"
        path.write_bytes(pickle.dumps(clf))
        np.save(tmp_path / "X.npy", X)
        np.save(tmp_path / "expected.npy", clf.predict_proba(X))
        code = (
            "import pickle, sys, numpy as np\n"
            f"clf = pickle.loads(open({str(path)!r}, 'rb').read())\n"
            f"X = np.load({str(tmp_path / 'X.npy')!r})\n"
            f"expected = np.load({str(tmp_path / 'expected.npy')!r})\n"
            # Another process may align arrays and pick BLAS threads differently.
            "np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-12)\n"
            "clf.predict(X)\n"
            "loaded = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
            "assert not loaded, loaded\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------- export


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="cg"),
        dict(solver="lbfgs", out_activation="softmax", alpha=0.3),
        dict(solver="tnc", hidden_layer_sizes=(12, 8), activation="tanh"),
    ],
)
def test_to_keras_evaluates_to_loss_and_predicts_the_classes(
    digits20, params, assert_clear_predictions_agree
):
    X, y = digits20
    clf = fit_fast(X, y, **{"hidden_layer_sizes": (25,), "max_iter": 40, **params})
    model = clf.to_keras()
    assert isinstance(model, keras.Model) and model.compiled
    Y = (y[:, None] == clf.classes_).astype(float)
    loss, accuracy = model.evaluate(X, Y, verbose=0, batch_size=256)
    assert loss == pytest.approx(clf.loss_, rel=1e-5)
    outputs = model.predict(X, verbose=0)
    # Keras's float32 and NumPy's float64 may split a near-tie differently.
    unclear = np.sum(np.diff(np.sort(outputs, axis=1)[:, -2:], axis=1) <= 1e-4)
    assert accuracy == pytest.approx(clf.score(X, y), abs=(unclear + 0.5) / len(X))
    assert_clear_predictions_agree(
        clf.classes_[outputs.argmax(axis=1)], clf.predict(X), outputs
    )
    # The outputs are the units' activations; predict_proba normalises them.
    # Keras computes in float32 and predict_proba in float64: through two
    # tanh layers of a fitted network the two differ by up to about 1e-5
    # (1.2e-5 measured on one of 1797 rows), a wrong export by far more.
    np.testing.assert_allclose(
        outputs / outputs.sum(axis=1, keepdims=True), clf.predict_proba(X), atol=1e-4
    )


def test_to_keras_of_a_minibatch_fit_keeps_its_optimizer(small_digits):
    X, y = small_digits
    clf = fit_fast(X, y, solver="adam", learning_rate_init=0.01, backend="keras")
    model = clf.to_keras()
    assert type(model.optimizer).__name__ == "Adam"
    assert int(model.optimizer.iterations.numpy()) == clf._optimizer_state["t"]
    # loss_ of a minibatch fit is the last epoch's mean minibatch loss; the
    # model evaluates the objective at the final weights.
    f = _numpy.make_objective(
        X,
        np.eye(3)[y],
        np.ones(len(y)),
        alpha=clf.alpha,
        layer_sizes=[64, 10, 3],
        activation="logistic",
        out_activation="logistic",
    )
    loss = model.evaluate(X, np.eye(3)[y], verbose=0)[0]
    assert loss == pytest.approx(f(pack(clf.coefs_, clf.intercepts_))[0], rel=1e-5)
    with pytest.raises(NotFittedError):
        MLPDigitClassifier().to_keras()


# ------------------------------------------------------------ course models


def test_build_keras_model_is_the_course_network_and_cost(digits20):
    X, y = digits20
    clf = fit_fast(X, y, solver="cg", hidden_layer_sizes=(25,), max_iter=20, alpha=2.0)
    model = build_keras_model(lambda_=2.0, n_samples=len(X), random_state=0)
    assert [layer.units for layer in model.layers] == [25, 10]
    assert all(layer.activation.__name__ == "sigmoid" for layer in model.layers)
    assert model.layers[0].kernel_regularizer.l2 == pytest.approx(2.0 / (2 * len(X)))
    assert all(layer.bias_regularizer is None for layer in model.layers)
    # The course's initial weights, drawn with NumPy from random_state.
    theta0 = initial_theta([400, 25, 10], "uniform", 0.12, np.random.RandomState(0))
    np.testing.assert_allclose(layers.get_theta(model), theta0, atol=1e-7)
    # With the estimator's weights, it evaluates to the estimator's cost.
    layers.set_theta(model, pack(clf.coefs_, clf.intercepts_))
    loss = model.evaluate(X, np.eye(10)[y], verbose=0)[0]
    assert loss == pytest.approx(clf.loss_, rel=1e-5)
    with pytest.raises(ValueError, match="n_samples"):
        build_keras_model(n_samples=0)
    with pytest.raises(ValueError, match="lambda_"):
        build_keras_model(n_samples=10, lambda_=-1)


def test_course_helpers_import_keras_only_when_called(monkeypatch):
    code = (
        "import sys, skdigits, skdigits._keras.course, skdigits._backends\n"
        "loaded = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "keras" else real_find_spec(name, *a),
    )
    with pytest.raises(ImportError, match=r"skdigits\[keras\]"):
        build_keras_model(n_samples=10)


# ---------------------------------------------------- scikit-learn contract


@parametrize_with_checks(
    [
        MLPDigitClassifier(backend="keras"),
        # Few, larger steps keep the checks quick (their data are small blobs).
        MLPDigitClassifier(
            backend="keras", solver="adam", learning_rate_init=0.1, max_iter=30
        ),
    ]
)
def test_sklearn_compatible_keras_backend(estimator, check):
    check(estimator)


def test_grid_search_over_backends_in_parallel(small_digits):
    X, y = small_digits
    grid = GridSearchCV(
        MLPDigitClassifier(**FAST),
        {"backend": ["numpy", "keras"], "alpha": [0.1, 1.0]},
        cv=3,
        n_jobs=2,
    )
    # Threads: the fits of both backends run concurrently in one process.
    # Process workers would spend most of the test importing TensorFlow
    # (41 s on a busy machine); process-based search is covered by
    # test_classifier.py::test_grid_search_in_parallel, and Keras-fitted
    # models in a fresh process by
    # test_fitted_state_is_numpy_and_unpickles_without_tensorflow.
    with warnings.catch_warnings(), joblib.parallel_config(backend="threading"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    backends = list(grid.cv_results_["param_backend"])
    # Same objective, same driver: the backends score the same.
    for alpha in (0.1, 1.0):
        pair = [
            s
            for s, b, a in zip(scores, backends, grid.cv_results_["param_alpha"])
            if a == alpha
        ]
        # Equal up to a near-tie prediction that the backends round differently.
        assert pair[0] == pytest.approx(pair[1], abs=0.01)
    assert grid.best_score_ > 0.9
    assert get_backend("keras") is objective


def test_the_keras_wing_has_tables_for_exactly_the_activation_names():
    # The names live in skdigits._network; the wing's tables follow them.
    assert set(layers.KERAS_ACTIVATIONS) == set(HIDDEN_ACTIVATIONS)
    assert set(objective._TF_ACTIVATIONS) == set(HIDDEN_ACTIVATIONS)
    assert set(layers.KERAS_OUTPUTS) == set(OUTPUT_ACTIVATIONS)
