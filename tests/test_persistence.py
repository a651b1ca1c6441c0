"""Saving and loading fitted models: joblib (pickle) and skops."""

import joblib
import numpy as np
import pytest

from skdigits import MLPDigitClassifier


@pytest.fixture(scope="module")
def fitted(small_digits):
    X, y = small_digits
    return MLPDigitClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(
        X, y
    )


def test_joblib_round_trip_is_exact(fitted, small_digits, tmp_path):
    X, _ = small_digits
    path = tmp_path / "model.joblib"
    joblib.dump(fitted, path)
    loaded = joblib.load(path)
    # Exact: the same weights through the same code in the same process.
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    for a, b in zip(
        loaded.coefs_ + loaded.intercepts_, fitted.coefs_ + fitted.intercepts_
    ):
        np.testing.assert_array_equal(a, b)
    assert loaded.loss_curve_ == fitted.loss_curve_


def test_skops_round_trip_with_trusted_types(fitted, small_digits, tmp_path):
    sio = pytest.importorskip("skops.io")
    X, _ = small_digits
    path = tmp_path / "model.skops"
    sio.dump(fitted, path)
    # The only type skops does not already trust is the estimator class itself.
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == ["skdigits._classifier.MLPDigitClassifier"]
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.load(path)
    loaded = sio.load(path, trusted=untrusted)
    # Exact: the same weights through the same code in the same process.
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
