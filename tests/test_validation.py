"""The checks of skdigits._validation: bad data and parameters get clear errors."""

import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

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


# -------------------------------------------- X's finiteness, checked late
# A dense X fitted full batch by the NumPy engine is checked by the first
# evaluation: a NaN or an infinity makes it non-finite, and only then is X
# scanned. The error must be scikit-learn's, whatever the network does with
# the bad entry (a saturated unit, a zero weight, a zero sample weight).


def _bad_entry(X, value, dtype):
    X = np.array(X, dtype=dtype)
    X[7, 10] = value
    return X


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "value, match", [(np.nan, "Input X contains NaN"), (np.inf, "infinity")]
)
@pytest.mark.parametrize(
    "params",
    [
        dict(),
        dict(activation="relu", out_activation="softmax"),
        dict(activation="tanh", solver="cg"),
        dict(init=[np.zeros((5, 65)), np.zeros((3, 6))]),  # zero weights
    ],
)
def test_non_finite_X_is_refused_with_scikit_learns_error(
    small_digits, dtype, value, match, params
):
    X, y = small_digits
    X = _bad_entry(X, value, dtype)
    w = np.ones(len(y))
    w[7] = 0.0  # the bad row counts for nothing
    for bad in (X, np.where(X == value, -value, X)):  # +inf and -inf
        for sample_weight in (None, w):
            clf = MLPDigitClassifier(**{**TINY, **params})
            with pytest.raises(ValueError, match=match):
                clf.fit(bad, y, sample_weight=sample_weight)
            assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
def test_non_finite_X_is_refused_before_any_evaluation_without_the_probe(
    small_digits, monkeypatch, solver
):
    # Where the products might not propagate NaN and infinity (or for a
    # minibatch solver), X is checked up front, as scikit-learn does.
    import skdigits._validation as validation
    from skdigits._backends import Objective

    monkeypatch.setattr(validation, "products_propagate_non_finite", lambda: False)

    def no_evaluation(*args, **kwargs):
        raise AssertionError("evaluated")

    monkeypatch.setattr(Objective, "__call__", no_evaluation)
    X, y = small_digits
    with pytest.raises(ValueError, match="Input X contains NaN"):
        MLPDigitClassifier(solver=solver, **TINY).fit(_bad_entry(X, np.nan, float), y)


def test_finite_X_too_large_to_compute_with_still_fits_or_says_so(small_digits):
    # The first evaluation overflows, the scan of X finds it finite: the
    # driver's own error, as before.
    X, y = small_digits
    with pytest.raises(ValueError, match="non-finite"):
        MLPDigitClassifier(activation="relu", **TINY).fit(X * 1e308, y)


def test_the_products_propagate_non_finite_values_here():
    # NumPy's BLAS on this machine computes 0 * inf: the check runs late.
    from skdigits._validation import products_propagate_non_finite

    assert products_propagate_non_finite()


@pytest.mark.parametrize(
    "y, classes",
    [
        ([3, -2, 7, 3], [-2, 3, 7]),
        (np.array([5, 1], dtype=np.int32), np.array([1, 5], dtype=np.int64)),
        ([0, 10**12, 0], [0, 10**12]),  # a wide range: the binary search
        (np.array([2, 1], dtype=np.uint8), np.array([1, 2], dtype=np.uint8)),
        (["b", "a", "b"], ["a", "b"]),
    ],
)
def test_class_indices_are_the_binary_search_s(y, classes):
    from skdigits._validation import class_indices

    y, classes = np.asarray(y), np.asarray(classes)
    indices = class_indices(y, classes)
    np.testing.assert_array_equal(indices, np.searchsorted(classes, y))
    assert indices.dtype == np.intp


def test_target_labels_sorts_y_once(monkeypatch):
    # scikit-learn's target checks reuse the distinct labels of y.
    from skdigits._validation import target_labels

    calls = []
    real_unique = np.unique

    def unique(*args, **kwargs):
        calls.append(np.shape(args[0]))
        return real_unique(*args, **kwargs)

    monkeypatch.setattr(np, "unique", unique)
    y = np.tile([4, 2, 9], 50)
    np.testing.assert_array_equal(target_labels(y), [2, 4, 9])
    assert calls.count((150,)) <= 1


def test_non_finite_X_in_row_blocks_on_threads_raises_no_warning():
    # Blocks evaluated on worker threads, which do not share the caller's
    # np.errstate: their warnings about the infinity must not come first.
    X = np.random.RandomState(0).rand(4200, 784).astype(np.float32)
    X[4100, 3] = np.inf
    y = np.arange(4200) % 3
    # Two workers whatever the suite's share of the cores (conftest.py).
    with warnings.catch_warnings(), threadpool_limits(2, user_api="blas"):
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="infinity"):
            MLPDigitClassifier(max_iter=1, random_state=0).fit(X, y)
