"""Defects found by an outside test run: bad input, stale state, wrong words.

Each test here failed before its fix (issue 10, section 2).
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest

from skdigits import MLPDigitClassifier
from skdigits.course import classifier_from_thetas, debug_initialize_weights

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


def test_classifier_from_thetas_exports_to_keras():
    pytest.importorskip("keras")
    thetas = [debug_initialize_weights(5, 3), debug_initialize_weights(4, 5)]
    clf = classifier_from_thetas(thetas)
    model = clf.to_keras()
    X = np.sin(np.arange(6.0)).reshape(2, 3)
    proba = model.predict(X, verbose=0)
    assert np.allclose(
        proba / proba.sum(axis=1, keepdims=True), clf.predict_proba(X), atol=1e-5
    )


def test_classifier_from_thetas_has_every_fitted_attribute(rng):
    thetas = [debug_initialize_weights(5, 3), debug_initialize_weights(4, 5)]
    clf = classifier_from_thetas(thetas)
    fitted = MLPDigitClassifier(hidden_layer_sizes=(5,), max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted.fit(rng.rand(20, 3), np.arange(20) % 4)
    state = {k for k in vars(fitted) if k.endswith("_") or k.startswith("_")}
    assert state - set(vars(clf)) == set()


def test_submodules_load_on_attribute_access():
    code = (
        "import sys, skdigits\n"
        "assert 'sklearn' not in sys.modules\n"
        "assert 'skdigits.datasets' not in sys.modules\n"
        "assert callable(skdigits.datasets.load_digits)\n"
        "assert callable(skdigits.course.nn_cost_function)\n"
        "assert callable(skdigits.plotting.plot_digits)\n"
        "assert 'matplotlib' not in sys.modules\n"
        "assert {'course', 'datasets', 'plotting'} <= set(dir(skdigits))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_only_the_keras_wing_and_engine_import_keras():
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "skdigits"
    offenders = []
    for path in package.rglob("*.py"):
        relative = path.relative_to(package).parts
        if relative[:1] == ("_keras",) or relative == ("_backends", "_keras.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in ("keras", "tensorflow"):
                    offenders.append(f"{path.name}: {name}")
    assert not offenders


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
