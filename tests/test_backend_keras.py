"""The Keras engine (skdigits._backends._keras): the NumPy fits, traced once."""

import pickle
import subprocess
import sys
import threading
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.utils.estimator_checks import parametrize_with_checks

from skdigits import MLPDigitClassifier
from skdigits._backends import get_engine
from skdigits._network import initial_theta

from _helpers import (
    FAST,
    HIDDEN_ACTIVATIONS,
    LR,
    LazyModule,
    build_objective,
    expected_failed_checks,
    fit_fast,
    learning_rate,
    needs_tensorflow,
)

pytestmark = needs_tensorflow
keras = LazyModule("keras")
tf = LazyModule("tensorflow")
_keras = LazyModule("skdigits._backends._keras")


def test_the_engine_traces_once_per_depth_and_dtype(digits20):
    X, y = digits20
    Y = np.eye(10)[y]
    theta = initial_theta([400, 9, 10], "uniform", 0.12, np.random.RandomState(0))
    f64 = build_objective(X, Y, layer_sizes=[400, 9, 10], backend="keras")
    f32 = build_objective(
        X.astype(np.float32), Y, layer_sizes=[400, 9, 10], backend="keras"
    )
    l64, l32 = f64(theta)[0], f32(theta)[0]
    # float32 arithmetic: close, but not float64's number.
    assert l32 == pytest.approx(l64, rel=1e-5) and l32 != l64
    _keras._data_term_function.cache_clear()
    # One trace per depth, activations and dtype, shared by objectives, by
    # full batches and minibatches of every size, and by network widths.
    for width in (9, 9, 14):
        layers = [400, width, 10]
        f = build_objective(X[:300], Y[:300], layer_sizes=layers, backend="keras")
        theta = initial_theta(layers, "uniform", 0.12, np.random.RandomState(0))
        f(theta)
        for size in (200, 57, 1):
            f(theta, np.arange(size))
    assert _keras._data_term_function.cache_info().currsize == 1


def test_engine_of_read_only_and_fortran_ordered_data(digits20):
    X, y = digits20
    X, Y = X[:300], np.eye(10)[y[:300]]
    layers = [400, 8, 10]
    theta = initial_theta(layers, "uniform", 0.12, np.random.RandomState(0))
    read_only = X.copy()
    read_only.flags.writeable = False
    rows = np.array([4, 0, 299, 4])
    kw = dict(layer_sizes=layers, l2=0.5, out_activation="softmax")
    reference = build_objective(X, Y, **kw)
    expected, expected_full = reference(theta, rows), reference(theta)[0]
    for data in (read_only, np.asfortranarray(X), X[:, ::-1][:, ::-1]):
        f = build_objective(data, Y, backend="keras", **kw)
        loss, grad = f(theta, rows)
        assert loss == pytest.approx(expected[0], rel=1e-12)
        np.testing.assert_allclose(grad, expected[1], rtol=0, atol=1e-12)
        assert f(theta)[0] == pytest.approx(expected_full, rel=1e-12)


def test_the_engine_has_a_table_for_exactly_the_activation_names():
    # The names live in skdigits._network; the engine's table follows them.
    assert set(_keras._TF_ACTIVATIONS) == set(HIDDEN_ACTIVATIONS)
    engine = get_engine(
        "keras",
        np.float64,
        layer_sizes=[3, 2, 2],
        activation="relu",
        out_activation="softmax",
    )
    assert not engine.threadable


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.max(np.abs(a - b) / np.abs(a))


def _rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")  # pragma: no cover


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
    assert b._optimizer_state_["t"] == a._optimizer_state_["t"]
    assert all(isinstance(v, np.ndarray | int) for v in b._optimizer_state_.values())
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
    np.save(tmp_path / "X.npy", X)
    solvers = ["lbfgs", "adam"]
    for solver in solvers:
        clf = fit_fast(X, y, solver=solver, backend="keras", learning_rate_init=0.01)
        assert _keras_objects(clf) == []
        (tmp_path / f"{solver}.pkl").write_bytes(pickle.dumps(clf))
        np.save(tmp_path / f"{solver}.npy", clf.predict_proba(X))
    # One fresh interpreter for both models (its imports take a second).
    code = (
        "import pickle, sys, numpy as np\n"
        f"folder = {str(tmp_path)!r}\n"
        "X = np.load(folder + '/X.npy')\n"
        f"for solver in {solvers!r}:\n"
        "    clf = pickle.loads(open(f'{folder}/{solver}.pkl', 'rb').read())\n"
        "    expected = np.load(f'{folder}/{solver}.npy')\n"
        # Another process may align arrays and pick BLAS threads differently.
        "    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-12)\n"
        "    clf.predict(X)\n"
        "loaded = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@parametrize_with_checks(
    [
        MLPDigitClassifier(backend="keras"),
        # Few, larger steps keep the checks quick (their data are small blobs).
        MLPDigitClassifier(
            backend="keras", solver="adam", learning_rate_init=0.1, max_iter=30
        ),
    ],
    expected_failed_checks=expected_failed_checks,
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
