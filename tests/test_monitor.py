"""skdigits._monitor: early stopping, progress and the convergence warning."""

import warnings

import numpy as np
import pytest

from skdigits import MLPDigitClassifier

TINY = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)


def test_best_validation_score_describes_the_kept_weights(digits8):
    X, y = digits8
    clf = MLPDigitClassifier(
        early_stopping=True, warm_start=True, max_iter=40, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
        n_first = len(clf.validation_scores_)
        assert clf.best_validation_score_ > 0.9
        # Warm-start on relabelled digits: every weight kept from this fit
        # scores far below the first fit's best.
        clf.set_params(max_iter=2).fit(X, (y + 1) % 10)
    first_fit = clf.validation_scores_[:n_first]
    this_fit = clf.validation_scores_[n_first:]
    assert max(this_fit) < 0.5 < max(first_fit)
    assert clf.best_validation_score_ == max(this_fit)


def test_early_stopping_weights_the_validation_score(digits8):
    X, y = digits8
    w = np.ones(len(y))
    params = dict(early_stopping=True, max_iter=5, random_state=0, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = MLPDigitClassifier(**params).fit(X, y, sample_weight=w)
        # Zero the weight of every even row: half the validation split counts
        # for nothing, so the validation scores change.
        w[::2] = 0.0
        w[1::2] = 2.0
        weighted = MLPDigitClassifier(**params).fit(X, y, sample_weight=w)
    assert not np.allclose(plain.validation_scores_, weighted.validation_scores_)


def test_partial_fit_refuses_early_stopping(small_digits):
    X, y = small_digits
    clf = MLPDigitClassifier(solver="adam", early_stopping=True, **TINY)
    with pytest.raises(ValueError, match="early_stopping"):
        clf.partial_fit(X, y, classes=np.unique(y))


def test_convergence_warning_gives_advice_that_fits_the_data(small_digits):
    from sklearn.exceptions import ConvergenceWarning

    X, y = small_digits
    clf = MLPDigitClassifier(solver="cg", max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning) as record:
        clf.fit(X, y)  # pixels in [0, 1]: scaling is not the advice
    message = str(record[0].message)
    assert "Raise max_iter" in message and "scal" not in message
    with pytest.warns(ConvergenceWarning, match="scale the data.*255"):
        clf.fit(X * 255, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_largest_magnitude_is_max_abs(dtype, monkeypatch):
    import scipy.sparse as sp

    from skdigits import _monitor

    rng = np.random.RandomState(0)
    X = (rng.standard_normal((40, 9)) * 50).astype(dtype)
    X[33, 4] = -(10**4)
    expected = float(np.abs(X).max())
    for layout in (X, np.asfortranarray(X), X[:, ::2], sp.csr_matrix(X)):
        assert _monitor.largest_magnitude(layout) == float(np.abs(layout).max())
    monkeypatch.setattr(_monitor, "_AMAX_CHUNK", 7)  # several BLAS calls
    assert _monitor.largest_magnitude(X) == expected
    assert _monitor.largest_magnitude(X[:0]) == 0.0
