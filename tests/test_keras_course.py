"""The course's Keras model (skdigits._keras.course.build_keras_model)."""

import numpy as np
import pytest

from skdigits._network import initial_theta, theta_from_layers
from skdigits.course import build_keras_model

from _helpers import LazyModule, fit_fast, needs_tensorflow

pytestmark = needs_tensorflow
keras = LazyModule("keras")
tf = LazyModule("tensorflow")
layers = LazyModule("skdigits._keras.layers")


def test_build_keras_model_is_the_course_network_and_cost(digits20):
    X, y = digits20
    clf = fit_fast(X, y, solver="cg", hidden_layer_sizes=(25,), max_iter=20, alpha=2.0)
    model = build_keras_model(lambda_=2.0, n_samples=len(X), random_state=0)
    assert [layer.units for layer in model.layers] == [25, 10]
    assert all(layer.activation.__name__ == "sigmoid" for layer in model.layers)
    assert model.layers[0].kernel_regularizer.l2 == pytest.approx(2.0 / (2 * len(X)))
    assert all(layer.bias_regularizer is None for layer in model.layers)
    # The course's initial weights, drawn with NumPy from random_state.
    theta0 = initial_theta([400, 25, 10], "uniform", 0.12, np.random.RandomState(0))
    np.testing.assert_allclose(layers.get_theta(model), theta0, atol=1e-7)
    # With the estimator's weights, it evaluates to the estimator's cost.
    layers.set_theta(model, theta_from_layers(clf.coefs_, clf.intercepts_))
    loss = model.evaluate(X, np.eye(10)[y], verbose=0)[0]
    assert loss == pytest.approx(clf.loss_, rel=1e-5)
    with pytest.raises(ValueError, match="n_samples"):
        build_keras_model(n_samples=0)
    with pytest.raises(ValueError, match="lambda_"):
        build_keras_model(n_samples=10, lambda_=-1)


def test_course_helpers_without_keras_name_the_extra(monkeypatch):
    # That they import Keras only when called: tests/test_package.py.
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "keras" else real_find_spec(name, *a),
    )
    with pytest.raises(ImportError, match=r"skdigits\[keras\]"):
        build_keras_model(n_samples=10)
