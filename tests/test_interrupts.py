"""Ctrl-C during fit, and fits that fail: the estimator is never half-updated."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skdigits import MLPDigitClassifier

from _helpers import BACKENDS, SOLVERS, available_backend

pytest.importorskip("sklearn.callback")


class InterruptAt:
    """A scikit-learn callback that presses Ctrl-C at the end of iteration ``k``."""

    def __init__(self, k):
        self.k, self.seen = k, 0

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name == "iteration":
            self.seen += 1
            if self.seen == self.k:
                raise KeyboardInterrupt

    def teardown(self, estimator, context):
        pass


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_interrupt_keeps_last_completed_iteration(small_digits, solver, backend):
    X, y = small_digits
    params = dict(
        hidden_layer_sizes=(8,),
        solver=solver,
        backend=available_backend(backend),
        max_iter=20,
        random_state=0,
        learning_rate_init=0.01,
    )
    clf = MLPDigitClassifier(**params, warm_start=True).set_callbacks(InterruptAt(3))
    with pytest.warns(UserWarning, match="interrupted by the user after 3"):
        clf.fit(X, y)
    assert clf.n_iter_ == len(clf.loss_curve_) == 3
    # The weights are those of iteration 3: a fresh fit stopped there by
    # max_iter has the same loss.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = MLPDigitClassifier(**{**params, "max_iter": 3}).fit(X, y)
    assert clf.loss_ == pytest.approx(reference.loss_, rel=1e-6)
    assert clf.predict_proba(X).shape == (len(y), 3)
    # warm_start continues from there.
    clf.set_callbacks()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.set_params(max_iter=4).fit(X, y)
    # Exact: same seed and data, and max_iter only decides when to stop, so the
    # first three iterations do the same arithmetic in the same process.
    assert clf.n_iter_ == 7 and clf.loss_curve_[:3] == reference.loss_curve_


def test_interrupt_before_any_iteration_leaves_estimator_unchanged(
    small_digits, monkeypatch
):
    from skdigits._backends import _numpy

    def interrupted(self, theta, X, Y, w):
        raise KeyboardInterrupt

    # Ctrl-C inside the very first evaluation of the engine.
    monkeypatch.setattr(_numpy.NumpyEngine, "__call__", interrupted)
    X, y = small_digits
    clf = MLPDigitClassifier(max_iter=5)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X, y)
    assert not hasattr(clf, "classes_") and not hasattr(clf, "coefs_")
    with pytest.raises(NotFittedError):
        clf.predict(X)


def test_failed_fit_restores_previous_state(small_digits):
    X, y = small_digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPDigitClassifier(hidden_layer_sizes=(8,), max_iter=5).fit(X, y)
    before = {k: v for k, v in vars(clf).items() if k.endswith("_")}
    names = np.array(["a", "b", "c"])[y]
    clf.set_params(activation="relu")
    with pytest.raises(ValueError, match="non-finite"):
        clf.fit(X[:, :10] * 1e308, names)
    after = {k: v for k, v in vars(clf).items() if k.endswith("_")}
    assert after.keys() == before.keys()
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.n_features_in_ == 64
    assert clf.predict(X).shape == y.shape


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_after_interrupt_keeps_the_optimizer_state(
    small_digits, solver, backend
):
    X, y = small_digits
    params = dict(
        hidden_layer_sizes=(8,),
        solver=solver,
        backend=available_backend(backend),
        random_state=0,
        learning_rate_init=0.01,
        warm_start=True,
    )
    interrupted = MLPDigitClassifier(**params, max_iter=20)
    interrupted.set_callbacks(InterruptAt(3))
    with pytest.warns(UserWarning, match="interrupted"):
        interrupted.fit(X, y)
    interrupted.set_callbacks()
    stopped = MLPDigitClassifier(**params, max_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        stopped.fit(X, y)
        # Both continue for 4 epochs: the same moments give the same steps
        # (same seed, same code path: equal up to rounding of the same ops).
        interrupted.set_params(max_iter=4).fit(X, y)
        stopped.set_params(max_iter=4).fit(X, y)
    assert interrupted.loss_curve_ == pytest.approx(stopped.loss_curve_, rel=1e-6)


def test_interrupt_with_early_stopping_names_the_best_weights(small_digits):
    X, y = small_digits
    clf = MLPDigitClassifier(
        hidden_layer_sizes=(8,), early_stopping=True, max_iter=20, random_state=0
    ).set_callbacks(InterruptAt(4))
    with pytest.warns(UserWarning, match="best validation score"):
        clf.fit(X, y)
    assert clf.best_validation_score_ == max(clf.validation_scores_)
