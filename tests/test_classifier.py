import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skdigits import MLPDigitClassifier
from skdigits._network import theta_from_layers

from _helpers import FAST, SOLVERS, build_objective, fit_fast, learning_rate


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_solver_learns_in_float64_and_float32(small_digits, solver, dtype):
    X, y = small_digits
    lr = learning_rate(solver)
    clf = fit_fast(X.astype(dtype), y, solver=solver, learning_rate_init=lr)
    assert clf.coefs_[0].dtype == dtype
    assert clf.score(X, y) > 0.95
    assert len(clf.loss_curve_) == clf.n_iter_ >= 5
    # The loss goes down and loss_ is the objective at the returned weights.
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    if solver in ("lbfgs", "cg", "tnc"):
        assert clf.loss_ == pytest.approx(clf.loss_curve_[-1])


def test_tnc_on_float32_matches_float64(digits8):
    # SciPy's TNC fed a float32 objective with its default accuracy stalls after
    # a few dozen iterations at a much higher loss (here twice float64's).
    X, y = digits8
    losses = [
        fit_fast(X.astype(dt), y, solver="tnc", max_iter=40).loss_
        for dt in (np.float64, np.float32)
    ]
    assert losses[1] == pytest.approx(losses[0], rel=0.05)


def test_course_network_reaches_95_percent(digits20):
    X, y = digits20
    with pytest.warns(ConvergenceWarning, match="maximum of 50 iterations"):
        clf = MLPDigitClassifier(
            solver="cg", max_iter=50, alpha=1.0, random_state=0
        ).fit(X, y)
    assert clf.n_iter_ == 50 and len(clf.loss_curve_) == 50
    assert clf.score(X, y) >= 0.95


def test_pipeline_cross_validation_on_8x8_digits(digits8):
    # Shuffled folds: the unshuffled ones split the data by writer, where both
    # this estimator (0.939) and scikit-learn's MLPClassifier (0.937) score lower.
    X, y = digits8
    pipe = make_pipeline(MinMaxScaler(), MLPDigitClassifier(random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scores = cross_val_score(
            pipe, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0)
        )
    assert scores.mean() >= 0.97


def test_grid_search_in_parallel(small_digits):
    X, y = small_digits
    grid = GridSearchCV(
        MLPDigitClassifier(**FAST),
        {"alpha": [0.1, 1.0], "hidden_layer_sizes": [(5,), (10,)]},
        cv=3,
        n_jobs=2,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    assert grid.best_score_ > 0.9
    assert set(grid.best_params_) == {"alpha", "hidden_layer_sizes"}


def test_row_order_does_not_change_a_full_batch_fit(small_digits):
    X, y = small_digits
    perm = np.random.RandomState(1).permutation(len(y))
    a, b = fit_fast(X, y), fit_fast(X[perm], y[perm])
    # Equal to rounding: the objective sums the rows in another order, and
    # 30 iterations of L-BFGS amplify the last bits only so far.
    assert a.loss_ == pytest.approx(b.loss_, rel=1e-9)
    np.testing.assert_allclose(a.coefs_[0], b.coefs_[0], rtol=1e-6, atol=1e-8)


def test_same_seed_bit_identical(small_digits):
    X, y = small_digits
    a, b = fit_fast(X, y), fit_fast(X, y)
    # Exact: same seed, same data, same code path and BLAS threads in one process.
    for Wa, Wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(Wa, Wb)
    c = fit_fast(X, y, random_state=1)
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_pickle_round_trip_and_size(digits20):
    X, y = digits20
    clf = fit_fast(X, y, hidden_layer_sizes=(25,), max_iter=5)
    blob = pickle.dumps(clf)
    assert len(blob) < 200_000
    clone_ = pickle.loads(blob)
    # Exact: the same weights through the same code in the same process.
    np.testing.assert_array_equal(clone_.predict_proba(X), clf.predict_proba(X))
    assert clone(clf).get_params() == clf.get_params()


def test_weight_two_equals_duplicated_row(small_digits):
    X, y = small_digits
    sw = np.ones(len(y))
    sw[::3] = 2
    dup = np.repeat(np.arange(len(y)), sw.astype(int))
    # Equal to rounding: the same objective, summed over other rows. TNC's
    # finite differences amplify rounding about 1e8 times, so its curves are
    # compared over the first iterations only.
    for solver in ["lbfgs", "cg", "tnc"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            weighted = MLPDigitClassifier(**FAST, solver=solver).fit(
                X, y, sample_weight=sw
            )
            repeated = MLPDigitClassifier(**FAST, solver=solver).fit(X[dup], y[dup])
        np.testing.assert_allclose(
            weighted.loss_curve_[:3], repeated.loss_curve_[:3], rtol=1e-7
        )
        if solver == "tnc":
            continue
        assert weighted.loss_ == pytest.approx(repeated.loss_, rel=1e-8)
        np.testing.assert_allclose(
            weighted.coefs_[0], repeated.coefs_[0], rtol=1e-6, atol=1e-8
        )


def test_matches_sklearn_mlp_loss(small_digits):
    # scikit-learn's MLPClassifier fed one-hot targets minimises the same
    # objective: binary log-loss summed over the outputs + alpha/(2n)||W||^2.
    X, y = small_digits
    clf = fit_fast(X, y, alpha=0.5)
    sk = MLPClassifier(
        hidden_layer_sizes=(10,), activation="logistic", alpha=0.5, max_iter=1
    )
    Y = np.eye(3)[y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk.fit(X, Y)
    sk.coefs_ = [W.copy() for W in clf.coefs_]
    sk.intercepts_ = [b.copy() for b in clf.intercepts_]
    f = build_objective(X, Y, l2=0.5, layer_sizes=[64, 10, 3])
    theta = theta_from_layers(clf.coefs_, clf.intercepts_)
    from sklearn.neural_network._base import binary_log_loss

    P = sk.predict_proba(X)
    sk_loss = binary_log_loss(Y, P) + 0.5 * 0.5 * sum(
        (W**2).sum() for W in clf.coefs_
    ) / len(y)
    assert f(theta)[0] == pytest.approx(sk_loss, rel=1e-9)
    assert clf.loss_ == pytest.approx(sk_loss, rel=1e-9)


def test_predict_proba_and_log_proba(small_digits):
    X, y = small_digits
    for out in ["logistic", "softmax"]:
        clf = fit_fast(X, y, out_activation=out)
        P = clf.predict_proba(X)
        np.testing.assert_allclose(P.sum(axis=1), 1)
        np.testing.assert_allclose(np.log(P), clf.predict_log_proba(X), atol=1e-12)
        # Exact: predict_proba and predict come from the same logits, through
        # order-preserving maps (no saturation at these small weights).
        np.testing.assert_array_equal(clf.classes_[P.argmax(axis=1)], clf.predict(X))


def test_sparse_input(small_digits, assert_clear_predictions_agree):
    X, y = small_digits
    dense, sparse = fit_fast(X, y), fit_fast(sp.csr_matrix(X), y)
    np.testing.assert_allclose(dense.coefs_[0], sparse.coefs_[0], rtol=1e-7, atol=1e-10)
    # Sparse and dense products round differently: compare the clear decisions.
    assert_clear_predictions_agree(
        sparse.predict(sp.csr_matrix(X)), dense.predict(X), dense.predict_proba(X)
    )


def test_string_labels_and_class_weight(small_digits):
    X, y = small_digits
    names = np.array(["zero", "one", "two"])[y]
    clf = fit_fast(X, names, class_weight="balanced")
    assert set(clf.predict(X)) <= set(names)
    assert list(clf.classes_) == sorted(set(names))
    # A dict class weight changes the fit.
    other = fit_fast(X, names, class_weight={"zero": 5.0})
    assert not np.allclose(other.coefs_[0], clf.coefs_[0])


def test_init_with_course_matrices(small_digits, rng):
    X, y = small_digits
    thetas = [rng.uniform(-0.1, 0.1, (10, 65)), rng.uniform(-0.1, 0.1, (3, 11))]
    clf = fit_fast(
        X, y, init=thetas, max_iter=1, solver="sgd", learning_rate_init=1e-12
    )
    np.testing.assert_allclose(clf.coefs_[0], thetas[0][:, 1:].T, atol=1e-9)
    np.testing.assert_allclose(clf.intercepts_[1], thetas[1][:, 0], atol=1e-9)


def test_warm_start_continues(small_digits):
    X, y = small_digits
    clf = fit_fast(X, y, max_iter=5, warm_start=True)
    first = clf.loss_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ == 10 and clf.loss_ < first


def test_partial_fit(small_digits):
    X, y = small_digits
    clf = MLPDigitClassifier(solver="adam", learning_rate_init=0.01, random_state=0)
    clf.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    for _ in range(20):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 21 and clf.score(X, y) > 0.9
    assert not hasattr(MLPDigitClassifier(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPDigitClassifier(solver="sgd").partial_fit(X, y)
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:3], [0, 1, 7])


@pytest.mark.parametrize("solver", SOLVERS)
def test_early_stopping_keeps_best_weights(small_digits, solver):
    X, y = small_digits
    clf = fit_fast(
        X,
        y,
        solver=solver,
        early_stopping=True,
        max_iter=60,
        learning_rate_init=learning_rate(solver),
    )
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_validation_score_ > 0.9


def test_verbose_prints_each_iteration(small_digits, capsys):
    X, y = small_digits
    fit_fast(X, y, max_iter=3, verbose=1, early_stopping=True)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert (
        lines[0].startswith("Iteration 1, loss = ") and "validation score" in lines[0]
    )


def test_progress_callbacks(small_digits):
    callback = pytest.importorskip("sklearn.callback")
    X, y = small_digits

    class Recorder:
        def __init__(self):
            self.ends = 0

        def setup(self, estimator, context):
            pass

        def on_fit_task_begin(self, estimator, context):
            pass

        def on_fit_task_end(self, estimator, context, **kwargs):
            self.ends += 1

        def teardown(self, estimator, context):
            pass

    assert isinstance(Recorder(), callback.FitCallback)
    for solver in SOLVERS:
        rec = Recorder()
        clf = MLPDigitClassifier(
            **{**FAST, "max_iter": 4}, solver=solver
        ).set_callbacks(rec)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        # One end per iteration, plus the end of the fit itself.
        assert rec.ends == clf.n_iter_ + 1 == 5


def test_progress_bar_in_grid_search(small_digits):
    pytest.importorskip("rich")
    from sklearn.callback import ProgressBar

    X, y = small_digits
    grid = GridSearchCV(MLPDigitClassifier(**FAST), {"alpha": [0.1, 1.0]}, cv=2)
    grid.set_callbacks(ProgressBar())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    assert grid.best_estimator_.n_iter_ > 0


def test_convergence_warning_only_when_stopped_by_max_iter(small_digits):
    X, y = small_digits
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        MLPDigitClassifier(max_iter=2, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        MLPDigitClassifier(solver="sgd", max_iter=500, tol=1.0, random_state=0).fit(
            X, y
        )


# ------------------------------------------------------------------ bad input

BAD_FIT = [
    (dict(X=[[np.nan, 1.0], [1.0, 2.0]], y=[0, 1]), ValueError, "NaN"),
    (dict(X=[[np.inf, 1.0], [1.0, 2.0]], y=[0, 1]), ValueError, "infinity"),
    (dict(X=[1.0, 2.0, 3.0], y=[0, 1, 0]), ValueError, "2D array"),
    (dict(X=[[1.0], [2.0]], y=[0, 0]), ValueError, "at least 2 classes"),
    (
        dict(X=[[1.0], [2.0]], y=[0, 1], sample_weight=[1.0, -1.0]),
        ValueError,
        "[Nn]egative",
    ),
    (
        dict(X=[[1.0], [2.0]], y=[0, 1], sample_weight=[0.0, 0.0]),
        ValueError,
        "non-zero|sum to zero",
    ),
    (dict(X=[[1.0], [2.0]], y=[0.5, 1.5]), ValueError, "continuous"),
    (dict(X=[[1.0], [2.0]], y=[[0, 1], [1, 0]]), ValueError, "1d array"),
    (dict(X=[["a"], ["b"]], y=[0, 1]), ValueError, "could not convert|dtype"),
]


@pytest.mark.parametrize("kwargs, error, match", BAD_FIT)
def test_bad_input_raises_clear_error(kwargs, error, match):
    with pytest.raises(error, match=match):
        MLPDigitClassifier().fit(**kwargs)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(alpha=-1), "alpha"),
        (dict(solver="fmincg"), "solver"),
        (dict(backend="torch"), "backend"),
        (dict(activation="softmax"), "activation"),
        (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes"),
        (dict(hidden_layer_sizes=(25, -3)), "hidden_layer_sizes"),
        (dict(max_iter=0), "max_iter"),
        (dict(init="zeros"), "init"),
        (
            dict(init=[np.zeros((25, 3)), np.zeros((3, 26))]),
            r"init\[0\] has shape \(25, 3\)",
        ),
        (dict(init=[np.zeros((25, 3))]), "init has 1 matrices"),
    ],
)
def test_bad_parameters(small_digits, params, match):
    X, y = small_digits
    with pytest.raises(ValueError, match=match):
        MLPDigitClassifier(**params).fit(X, y)


def test_wrong_feature_count_and_unfitted(small_digits):
    X, y = small_digits
    with pytest.raises(NotFittedError):
        MLPDigitClassifier().predict(X)
    clf = fit_fast(X, y, max_iter=2)
    with pytest.raises(ValueError, match="64 features"):
        clf.predict(X[:, :10])


def test_keras_backend_without_keras_names_the_extra(small_digits, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "keras" else real_find_spec(name, *a),
    )
    X, y = small_digits
    with pytest.raises(ImportError, match=r"skdigits\[keras\]"):
        MLPDigitClassifier(backend="keras").fit(X, y)


def test_non_finite_training_raises_and_keeps_previous_fit(small_digits):
    X, y = small_digits
    clf = fit_fast(X, y, max_iter=2)
    before = [W.copy() for W in clf.coefs_]
    # TNC stops before stepping into overflow here; the others must say so.
    for solver in ["lbfgs", "cg", "sgd", "adam"]:
        clf.set_params(solver=solver, activation="relu")
        with pytest.raises(ValueError, match="non-finite"):
            clf.fit(X * 1e308, y)
    np.testing.assert_array_equal(clf.coefs_[0], before[0])


def test_weights_scaled_together_weaken_the_penalty(small_digits):
    # Scaling every weight by c duplicates every row c times: the data term is
    # unchanged, the penalty alpha / (2 * sum(s)) shrinks by c.
    X, y = small_digits
    params = dict(hidden_layer_sizes=(5,), alpha=10.0, max_iter=200, random_state=0)
    ones = MLPDigitClassifier(**params).fit(X, y, sample_weight=np.ones(len(y)))
    twos = MLPDigitClassifier(**params).fit(X, y, sample_weight=np.full(len(y), 2.0))
    doubled = MLPDigitClassifier(**params).fit(np.vstack([X, X]), np.r_[y, y])
    assert twos.loss_ < ones.loss_
    assert np.isclose(twos.loss_, doubled.loss_, rtol=1e-6)
