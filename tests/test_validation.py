"""The checks of skdigits._validation: bad data and parameters get clear errors."""

import warnings

import numpy as np
import pytest

from skdigits import MLPDigitClassifier

# Smaller than _helpers.FAST: these fits only need to run, not to learn.
TINY = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)


@pytest.mark.parametrize("bad", [-0.5, -5, np.nan, np.inf, "x"])
def test_class_weight_must_be_finite_and_non_negative(small_digits, bad):
    X, y = small_digits
    clf = MLPDigitClassifier(class_weight={0: bad, 1: 1.0}, **TINY)
    with pytest.raises((ValueError, TypeError), match=r"class_weight.*class 0"):
        clf.fit(X, y)


def test_class_weight_zero_for_one_class_still_fits(small_digits):
    X, y = small_digits
    clf = MLPDigitClassifier(class_weight={0: 0.0}, **TINY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert np.isfinite(clf.loss_)


@pytest.mark.parametrize(
    "classes, match",
    [
        ([0, 1, 2, np.nan], "NaN|nan"),
        ([[0, 1], [2, 3]], "1-d|1d|column|shape"),
        ([1, "a"], "Mix of label input types|mix"),
        ([0.5, 1.5, 2.5], "continuous|Unknown label type"),
    ],
)
def test_partial_fit_validates_classes(small_digits, classes, match):
    X, y = small_digits
    clf = MLPDigitClassifier(solver="sgd", **TINY)
    with pytest.raises(ValueError, match=match):
        clf.partial_fit(X, y, classes=classes)
    assert not hasattr(clf, "coefs_")


def test_hidden_layer_sizes_accepts_any_integer_types(small_digits):
    X, y = small_digits
    clf = MLPDigitClassifier(
        hidden_layer_sizes=(np.int64(5), np.uint64(3)), max_iter=3, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert [W.shape[1] for W in clf.coefs_] == [5, 3, 3]


@pytest.mark.parametrize("sizes", [(5.0,), (True,), (0,), ((5, 3),)])
def test_hidden_layer_sizes_rejects_non_integers(small_digits, sizes):
    X, y = small_digits
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPDigitClassifier(hidden_layer_sizes=sizes, max_iter=2).fit(X, y)


def test_sample_weights_whose_sum_overflows_are_rejected(small_digits):
    X, y = small_digits
    X, y = X[:60], y[:60]
    with pytest.raises(ValueError, match="sample weights.*(overflow|too large)"):
        MLPDigitClassifier(**TINY).fit(X, y, sample_weight=np.full(60, 1e308))


def test_complex_init_matrices_are_rejected(small_digits):
    X, y = small_digits
    init = [np.zeros((4, 65), dtype=complex), np.zeros((3, 5))]
    with pytest.raises(ValueError, match=r"init\[0\].*real"):
        MLPDigitClassifier(hidden_layer_sizes=(4,), init=init, max_iter=2).fit(X, y)
