"""Grid search on a Dask cluster through joblib gives the serial result.

The workers are other processes: they run the same code on one BLAS thread, as
the serial fits do (the driver's policy for small networks), but memory
alignment may differ, so the floats are compared to a tight tolerance.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score

from skdigits import MLPDigitClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _search():
    return GridSearchCV(
        MLPDigitClassifier(hidden_layer_sizes=(8,), max_iter=15, random_state=0),
        {"alpha": [0.1, 1.0], "solver": ["lbfgs", "cg"]},
        cv=3,
    )


def test_grid_search_on_dask_equals_serial(client, small_digits):
    X, y = small_digits
    clf = MLPDigitClassifier(hidden_layer_sizes=(8,), max_iter=15, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        serial = _search().fit(X, y)
        serial_scores = cross_val_score(clf, X, y, cv=3)
        with joblib.parallel_config(backend="dask"):
            distributed_ = _search().set_params(n_jobs=-1).fit(X, y)
            scores = cross_val_score(clf, X, y, cv=3, n_jobs=-1)
    for key in ("mean_test_score", "std_test_score"):
        np.testing.assert_allclose(
            serial.cv_results_[key], distributed_.cv_results_[key], rtol=1e-12
        )
    np.testing.assert_array_equal(
        serial.cv_results_["rank_test_score"],
        distributed_.cv_results_["rank_test_score"],
    )
    assert serial.best_params_ == distributed_.best_params_
    np.testing.assert_allclose(
        serial.best_estimator_.coefs_[0],
        distributed_.best_estimator_.coefs_[0],
        rtol=1e-9,
        atol=1e-12,
    )
    np.testing.assert_allclose(scores, serial_scores, rtol=1e-12)
    # The fits really ran on the cluster: both workers imported skdigits.
    assert list(client.run(_skdigits_imported).values()) == [True, True]


def _skdigits_imported():
    import sys

    return "skdigits" in sys.modules


# ------------------------------------------------ fitting on Dask arrays

dask = pytest.importorskip("dask")
da = pytest.importorskip("dask.array")


def _chunked(X, y, rows=150):
    return da.from_array(X, chunks=(rows, -1)), da.from_array(y, chunks=rows)


@pytest.mark.parametrize("solver", ["lbfgs", "cg"])
def test_dask_fit_equals_the_in_memory_fit(client, small_digits, solver):
    X, y = small_digits
    params = dict(hidden_layer_sizes=(8,), max_iter=15, solver=solver, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        memory = MLPDigitClassifier(**params).fit(X, y)
        on_dask = MLPDigitClassifier(**params).fit(*_chunked(X, y))
    # The same objective summed in another order: equal to rounding.
    np.testing.assert_allclose(on_dask.loss_curve_, memory.loss_curve_, rtol=1e-9)
    for a, b in zip(on_dask.coefs_, memory.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(on_dask.classes_, memory.classes_)
    assert on_dask.n_features_in_ == X.shape[1]


def test_dask_minibatches_follow_the_chunk_order(client, small_digits):
    X, y = small_digits
    params = dict(
        hidden_layer_sizes=(8,),
        solver="adam",
        learning_rate_init=0.01,
        max_iter=3,
        random_state=0,
    )
    # One chunk: the same rows in the same order as in memory.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        memory = MLPDigitClassifier(**params).fit(X, y)
        one = MLPDigitClassifier(**params).fit(*_chunked(X, y, rows=len(y)))
    np.testing.assert_allclose(one.loss_curve_, memory.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(one.coefs_[0], memory.coefs_[0], rtol=1e-8, atol=1e-12)
    # Several chunks: each epoch visits them in a shuffled order, and the
    # rows of each in a shuffled order, in batches inside one chunk.
    dX, dy = _chunked(X, y, rows=100)
    batches = list(_dask_objective(dX, dy).batches(30, np.random.RandomState(5), True))
    rows = np.concatenate(batches)
    np.testing.assert_array_equal(np.sort(rows), np.arange(len(y)))
    assert max(len(b) for b in batches) == 30
    assert all(len(set(b // 100)) == 1 for b in batches)
    assert [b[0] // 100 for b in batches] != sorted(b[0] // 100 for b in batches)
    # An epoch on the workers (each chunk's steps where it lives) takes the
    # steps the in-memory objective takes on the same batches.
    from skdigits._optimize import Adam

    from _helpers import build_objective

    method = Adam(learning_rate=0.01)
    theta = np.random.RandomState(0).uniform(-0.3, 0.3, 64 * 8 + 8 + 9 * 3)
    on_dask, dask_state = theta.copy(), method.init_state(theta)
    total = _dask_objective(dX, dy).descend(
        on_dask, method, dask_state, 30, np.random.RandomState(5), shuffle=True
    )
    memory_objective = build_objective(X, np.eye(3)[y], layer_sizes=[64, 8, 3])
    in_memory, state, expected = theta.copy(), method.init_state(theta), 0.0
    for rows in batches:
        loss, grad = memory_objective(in_memory, rows)
        expected += loss * len(rows)
        method.update(in_memory, grad, state)
    assert not np.allclose(in_memory, theta)
    assert total == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(on_dask, in_memory, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dask_state["v"], state["v"], rtol=1e-8, atol=1e-15)
    assert dask_state["t"] == state["t"] == len(batches)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_dask_default_scheduler_fits_as_the_client(
    client, small_digits, solver, monkeypatch
):
    # Without a distributed client the same tasks run as a Dask graph on
    # Dask's default scheduler.
    import skdigits._dask

    X, y = small_digits
    params = dict(hidden_layer_sizes=(8,), max_iter=4, solver=solver, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        on_client = MLPDigitClassifier(**params).fit(*_chunked(X, y))
        monkeypatch.setattr(skdigits._dask, "_active_client", lambda: None)
        with dask.config.set(scheduler="synchronous"):
            local = MLPDigitClassifier(**params).fit(*_chunked(X, y))
    np.testing.assert_allclose(local.loss_curve_, on_client.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(
        local.coefs_[0], on_client.coefs_[0], rtol=1e-8, atol=1e-12
    )


def _dask_objective(dX, dy):
    from skdigits._dask import DaskObjective

    n = dX.shape[0]
    w = da.ones(n, chunks=dX.chunks[0])
    return DaskObjective(
        *dask.persist(dX, dy, w),
        total=float(n),
        l2=1.0,
        layer_sizes=[64, 8, 3],
        activation="logistic",
        out_activation="logistic",
        backend="numpy",
    )


def test_fit_does_not_gather_X(client, small_digits, monkeypatch):
    X, y = small_digits
    dX, dy = _chunked(X, y)
    _refuse_gathering(monkeypatch, dX.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for solver in ("lbfgs", "adam"):
            clf = MLPDigitClassifier(
                hidden_layer_sizes=(5,), max_iter=3, solver=solver
            ).fit(dX, dy)
    proba = clf.predict_proba(dX)
    assert isinstance(proba, da.Array) and proba.shape == (len(y), 3)
    monkeypatch.undo()
    np.testing.assert_allclose(proba.compute(), clf.predict_proba(X), rtol=1e-12)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_early_stopping_holds_out_rows_on_the_workers(
    client, small_digits, solver, monkeypatch
):
    X, y = small_digits
    params = dict(
        hidden_layer_sizes=(8,),
        solver=solver,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=4,
        max_iter=20,
        learning_rate_init=0.05,
        random_state=0,
    )
    dX, dy = _chunked(X, y)
    _refuse_gathering(monkeypatch, dX.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        on_dask = MLPDigitClassifier(**params).fit(dX, dy)
        monkeypatch.undo()
        memory = MLPDigitClassifier(**params).fit(X, y)
    # The in-memory fit's split (stratified, from the same random_state),
    # its rows taken on the workers; scored there after every iteration.
    assert len(on_dask.validation_scores_) == on_dask.n_iter_
    assert on_dask.best_validation_score_ == max(on_dask.validation_scores_)
    if solver == "lbfgs":
        # The same rows, the same objective: the same fit to rounding.
        np.testing.assert_allclose(
            on_dask.validation_scores_, memory.validation_scores_, atol=1e-12
        )
        np.testing.assert_allclose(on_dask.loss_curve_, memory.loss_curve_, rtol=1e-8)
    else:
        # Minibatches inside chunks: another sample path, a like result.
        assert on_dask.best_validation_score_ > 0.9
        assert memory.best_validation_score_ > 0.9
        assert on_dask.n_iter_ < params["max_iter"]


def _refuse_gathering(monkeypatch, shape):
    """Make computing or converting an array of ``shape`` in the client fail."""
    original_compute, original_array = da.Array.compute, da.Array.__array__

    def refuse(self, *args, **kwargs):
        if self.shape == shape:
            raise AssertionError("X was gathered into the client")
        return original_compute(self, *args, **kwargs)

    def refuse_array(self, *args, **kwargs):
        if self.shape == shape:
            raise AssertionError("X was converted to a NumPy array in the client")
        return original_array(self, *args, **kwargs)

    monkeypatch.setattr(da.Array, "compute", refuse)
    monkeypatch.setattr(da.Array, "__array__", refuse_array)


def test_many_classes_are_not_taken_for_unique_values(client):
    # 26 classes of 5 rows each: a multiclass target, without scikit-learn's
    # warning about a target of mostly unique values.
    rng = np.random.RandomState(0)
    X, y = rng.rand(130, 6), np.repeat(np.arange(26), 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPDigitClassifier(hidden_layer_sizes=(4,), max_iter=2)
        clf.fit(*_chunked(X, y, rows=50))
    np.testing.assert_array_equal(clf.classes_, np.arange(26))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_is_lazy_and_score_runs_on_the_workers(client, small_digits, dtype):
    X, y = small_digits
    X = X.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPDigitClassifier(hidden_layer_sizes=(8,), max_iter=20).fit(X, y)
    dX, dy = _chunked(X, y)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        lazy, in_memory = getattr(clf, method)(dX), getattr(clf, method)(X)
        assert isinstance(lazy, da.Array)
        # The lazy array declares the dtype its chunks compute to.
        computed = lazy.compute()
        assert lazy.dtype == computed.dtype == in_memory.dtype
        # Chunks of other sizes: BLAS may round the last float32 bits apart.
        rtol = 1e-5 if dtype == np.float32 else 1e-7
        np.testing.assert_allclose(computed, in_memory, rtol=rtol)
    assert clf.score(dX, dy) == pytest.approx(clf.score(X, y))
    with pytest.raises(ValueError, match="expecting 64 features"):
        clf.predict(dX[:, :10])


def test_sample_and_class_weights_on_dask(client, small_digits):
    X, y = small_digits
    sw = np.random.RandomState(0).uniform(0.5, 2, len(y))
    params = dict(
        hidden_layer_sizes=(6,), max_iter=5, class_weight="balanced", random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        memory = MLPDigitClassifier(**params).fit(X, y, sample_weight=sw)
        dX, dy = _chunked(X, y)
        on_dask = MLPDigitClassifier(**params).fit(
            dX, dy, sample_weight=da.from_array(sw, chunks=150)
        )
    np.testing.assert_allclose(on_dask.loss_curve_, memory.loss_curve_, rtol=1e-9)


def test_bad_dask_input_is_refused_before_any_work(client, small_digits):
    X, y = small_digits
    dX, dy = _chunked(X, y)
    clf = MLPDigitClassifier(max_iter=2)
    with pytest.raises(ValueError, match="same length"):
        clf.fit(dX, dy[:-5])
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        clf.fit(dX[dX[:, 0] >= 0], dy)
    with pytest.raises(ValueError, match="chunked along its features"):
        clf.fit(dX.rechunk((150, 16)), dy)
    with pytest.raises(ValueError, match="NaN or infinity"):
        clf.fit(da.where(dX > 0.99, np.nan, dX), dy)
    with pytest.raises(ValueError, match="validation set is too small"):
        MLPDigitClassifier(early_stopping=True, validation_fraction=0.001).fit(
            dX, dy
        )
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": X[:, 0], "b": ["x"] * len(y)})
    with pytest.raises(ValueError, match="non-numeric columns"):
        clf.fit(dd.from_pandas(frame, npartitions=2), dy)
