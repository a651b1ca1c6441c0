"""Behaviours users of scikit-learn's MLPClassifier rely on, on both backends.

Where skdigits differs from MLPClassifier on purpose, the user guide says so
(docs/user_guide/sklearn_differences.rst); everything else behaves the same.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skdigits import MLPDigitClassifier

from _helpers import BACKENDS, SOLVERS, available_backend, fit_fast, learning_rate

TINY = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
# scikit-learn 1.9 says "classes ... have", earlier ones "class ... has".
ONE_MEMBER = r"least populated class(es)? in y ha(s|ve) only 1 member"


@pytest.fixture(params=BACKENDS)
def backend(request):
    return available_backend(request.param)


def _quiet_fit(clf, X, y, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y, **kwargs)


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_warm_start_refuses_other_classes(small_digits, backend, solver):
    X, y = small_digits
    clf = MLPDigitClassifier(warm_start=True, solver=solver, backend=backend, **TINY)
    _quiet_fit(clf, X, y)
    coefs = [W.copy() for W in clf.coefs_]
    # Fewer classes, and other classes, are both refused, as by MLPClassifier.
    for mask in (y < 2, y > 0):
        with pytest.raises(ValueError, match="warm_start can only be used where"):
            clf.fit(X[mask], y[mask])
    with pytest.raises(ValueError, match="same classes as in the previous call"):
        clf.fit(X, np.where(y == 2, 7, y))
    # The failed fits left the estimator as it was.
    for W, W0 in zip(clf.coefs_, coefs):
        np.testing.assert_array_equal(W, W0)
    # The same classes (in another order of appearance) continue the fit.
    order = np.argsort(-y, kind="stable")
    _quiet_fit(clf, X[order], y[order])
    assert clf.n_iter_ == 2 * TINY["max_iter"]
    # Without warm_start, other classes simply refit.
    clf.set_params(warm_start=False)
    _quiet_fit(clf, X[y < 2], y[y < 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1])


@pytest.mark.parametrize("solver", SOLVERS)
def test_best_loss_is_the_best_training_loss(small_digits, backend, solver):
    X, y = small_digits
    params = dict(solver=solver, learning_rate_init=learning_rate(solver))
    clf = fit_fast(X, y, backend=backend, **params)
    assert isinstance(clf.best_loss_, float)
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.best_loss_ <= clf.loss_curve_[0]
    # With early stopping the validation score decides: best_loss_ is None,
    # as in MLPClassifier.
    early = fit_fast(X, y, backend=backend, early_stopping=True, **params)
    assert early.best_loss_ is None
    assert early.best_validation_score_ is not None


def test_best_loss_follows_warm_starts_and_partial_fit(small_digits, backend):
    X, y = small_digits
    clf = MLPDigitClassifier(
        solver="adam", learning_rate_init=0.01, backend=backend, **TINY
    )
    clf.partial_fit(X, y, classes=[0, 1, 2])
    first = clf.best_loss_
    for _ in range(3):
        clf.partial_fit(X, y)
    assert clf.best_loss_ == min(clf.loss_curve_) <= first
    # A fitted-from-weights classifier has seen no data: no loss to report.
    from skdigits.course import classifier_from_thetas

    thetas = [np.zeros((4, 65)), np.zeros((3, 5))]
    assert classifier_from_thetas(thetas, classes=[0, 1, 2]).best_loss_ is None


@pytest.mark.parametrize("seed", range(5))
def test_early_stopping_split_is_stratified(seed):
    from skdigits._monitor import holdout_split

    # 90 samples of class 0 and 10 of class 1: an unstratified 10% split
    # often holds no sample of class 1; a stratified one holds exactly one.
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    X = np.arange(200.0).reshape(100, 2)
    w = np.ones(100)
    (X_fit, y_fit, _), (X_val, y_val, _) = holdout_split(
        X, y, y, w, fraction=0.1, rng=np.random.RandomState(seed)
    )
    np.testing.assert_array_equal(np.bincount(y_val), [9, 1])
    np.testing.assert_array_equal(np.bincount(y_fit), [81, 9])
    # Every row is on exactly one side.
    rows = np.sort(np.r_[X_fit[:, 0], X_val[:, 0]])
    np.testing.assert_array_equal(rows, X[:, 0])


def test_early_stopping_needs_two_members_of_each_class(backend):
    rng = np.random.RandomState(0)
    X = rng.rand(40, 4)
    y = np.r_[np.zeros(20, int), np.ones(19, int), [2]]
    clf = MLPDigitClassifier(early_stopping=True, backend=backend, **TINY)
    with pytest.raises(ValueError, match=ONE_MEMBER):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")
    # MLPClassifier says the same (it stratifies binary targets only; skdigits
    # stratifies every classification target).
    y2 = np.r_[np.zeros(39, int), [1]]
    sk = MLPClassifier(early_stopping=True, solver="adam", max_iter=5)
    with pytest.raises(ValueError, match=ONE_MEMBER):
        sk.fit(X, y2)
    with pytest.raises(ValueError, match=ONE_MEMBER):
        clf.fit(X, y2)


def test_early_stopping_refuses_a_tiny_validation_set(backend):
    rng = np.random.RandomState(0)
    X = rng.rand(10, 4)
    y = np.arange(10) % 2
    clf = MLPDigitClassifier(
        early_stopping=True, validation_fraction=0.1, backend=backend, **TINY
    )
    with pytest.raises(ValueError, match="The validation set is too small"):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")
    # Two held-out samples, one per class, are enough.
    _quiet_fit(clf.set_params(validation_fraction=0.2), X, y)
    assert len(clf.validation_scores_) == clf.n_iter_


@pytest.mark.parametrize("bad", [[0, 1, 2, np.nan], [0.0, np.inf, 1.0]])
def test_partial_fit_names_classes_in_its_errors(small_digits, backend, bad):
    X, y = small_digits
    clf = MLPDigitClassifier(solver="sgd", backend=backend, **TINY)
    with pytest.raises(ValueError, match="Input classes contains") as info:
        clf.partial_fit(X, y, classes=bad)
    assert "Input y" not in str(info.value)
