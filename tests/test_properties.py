"""Property-based tests: any input either fits and predicts sanely or is refused
with a ValueError/TypeError that says why. Never another exception, never a
RuntimeWarning, never non-finite probabilities."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning

from skdigits import MLPDigitClassifier

from _helpers import HIDDEN_ACTIVATIONS, SOLVERS


@st.composite
def datasets(draw):
    n = draw(st.integers(0, 12))
    d = draw(st.integers(0, 5))
    kind = draw(
        st.sampled_from(["float64", "float32", "int", "bool", "object", "special"])
    )
    if kind == "object":
        X = np.array(
            draw(
                st.lists(
                    st.lists(
                        st.sampled_from(["a", "1.5", 2, 3.0]), min_size=d, max_size=d
                    ),
                    min_size=n,
                    max_size=n,
                )
            ),
            dtype=object,
        ).reshape(n, d)
    elif kind == "special":
        X = draw(
            arrays(
                np.float64,
                (n, d),
                elements=st.sampled_from([0.0, 1.0, np.nan, np.inf, -np.inf]),
            )
        )
    elif kind == "bool":
        X = draw(arrays(np.bool_, (n, d)))
    elif kind == "int":
        X = draw(arrays(np.int64, (n, d), elements=st.integers(-1000, 1000)))
    else:
        X = draw(arrays(kind, (n, d), elements=st.floats(-1, 1, width=32)))
        X = X * draw(st.sampled_from([1e-8, 1e-3, 1.0, 1e3, 1e8]))
    label_kind = draw(st.sampled_from(["int", "str", "float"]))
    pool = {"int": [0, 1, 7], "str": ["a", "b", "c"], "float": [0.5, 1.5, 2.5]}[
        label_kind
    ]
    y = np.array(draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n)))
    sw_kind = draw(
        st.sampled_from(["none", "positive", "zeros", "negative", "all_zero"])
    )
    sw = None
    if sw_kind != "none":
        sw = np.array(draw(st.lists(st.floats(0.1, 3), min_size=n, max_size=n)))
        if sw_kind == "zeros" and n:
            sw[::2] = 0
        elif sw_kind == "negative" and n:
            sw[0] = -1
        elif sw_kind == "all_zero":
            sw[:] = 0
    return X, y, sw


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=datasets(),
    solver=st.sampled_from(SOLVERS),
    out=st.sampled_from(["logistic", "softmax"]),
    activation=st.sampled_from(HIDDEN_ACTIVATIONS),
)
# Found by this test: SGD diverges in 3 epochs on float32 rows of +-1e8, and the
# last weights overflowed float32 in predict (a RuntimeWarning, NaN logits).
@example(
    data=(
        np.array([[-1e8] + [0] * 4] + [[0] * 5] * 2 + [[1e8] + [0] * 4], np.float32),
        np.array([0, 0, 0, 1]),
        None,
    ),
    solver="sgd",
    out="logistic",
    activation="relu",
)
def test_fit_predict_never_misbehaves(data, solver, out, activation):
    X, y, sw = data
    clf = MLPDigitClassifier(
        hidden_layer_sizes=(3,),
        solver=solver,
        out_activation=out,
        activation=activation,
        max_iter=3,
        random_state=0,
        learning_rate_init=0.01,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            clf.fit(X, y, sample_weight=sw)
        except (ValueError, TypeError) as exc:
            assert str(exc), "an error must say what is wrong"
            event(f"refused: {type(exc).__name__}: {str(exc)[:45]}")
            return
        event("fitted")
        P = clf.predict_proba(X)
        pred = clf.predict(X)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-6)
    assert np.all(np.isin(pred, clf.classes_))
    assert all(np.all(np.isfinite(W)) for W in clf.coefs_ + clf.intercepts_)


@pytest.mark.parametrize("scale", [1e-8, 1e8])
def test_extreme_scales_fit_finite(scale):
    rng = np.random.RandomState(0)
    X = rng.rand(30, 4) * scale
    y = rng.randint(0, 3, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPDigitClassifier(max_iter=20, random_state=0).fit(X, y)
    assert np.all(np.isfinite(clf.predict_proba(X)))


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(2, 15),
    d=st.integers(1, 6),
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_]),
    scale=st.sampled_from([1e-8, 1e-2, 1.0, 1e2, 1e8]),
    labels=st.sampled_from([[0, 1], [3, 8, 9], ["x", "y"], [1.0, 2.0, 5.0]]),
    solver=st.sampled_from(SOLVERS),
    seed=st.integers(0, 2**16),
)
def test_valid_data_always_fits(n, d, dtype, scale, labels, solver, seed):
    rng = np.random.RandomState(seed)
    X = (rng.rand(n, d) * scale).astype(dtype)
    y = np.array(labels)[np.arange(n) % len(labels)]
    sw = rng.uniform(0, 2, n)
    clf = MLPDigitClassifier(hidden_layer_sizes=(4,), solver=solver, max_iter=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, sample_weight=sw)
        P = clf.predict_proba(X)
    assert np.all(np.isfinite(P))
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-6)
    assert set(clf.classes_) == set(y)
    assert np.all(np.isin(clf.predict(X), clf.classes_))
