"""to_keras: a compiled Keras model holding the fitted network and its objective."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skdigits import MLPDigitClassifier
from skdigits._network import theta_from_layers

from _helpers import (
    HIDDEN_ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    LazyModule,
    build_objective,
    fit_fast,
    needs_tensorflow,
)

pytestmark = needs_tensorflow
keras = LazyModule("keras")
layers = LazyModule("skdigits._keras.layers")


def test_the_keras_wing_has_tables_for_exactly_the_activation_names():
    # The names live in skdigits._network; the wing's tables follow them.
    assert set(layers.KERAS_ACTIVATIONS) == set(HIDDEN_ACTIVATIONS)
    assert set(layers.KERAS_OUTPUTS) == set(OUTPUT_ACTIVATIONS)


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="cg"),
        dict(solver="lbfgs", out_activation="softmax", alpha=0.3),
        dict(solver="tnc", hidden_layer_sizes=(12, 8), activation="tanh"),
    ],
)
def test_to_keras_evaluates_to_loss_and_predicts_the_classes(
    digits20, params, assert_clear_predictions_agree
):
    X, y = digits20
    clf = fit_fast(X, y, **{"hidden_layer_sizes": (25,), "max_iter": 40, **params})
    model = clf.to_keras()
    assert isinstance(model, keras.Model) and model.compiled
    Y = (y[:, None] == clf.classes_).astype(float)
    loss, accuracy = model.evaluate(X, Y, verbose=0, batch_size=256)
    assert loss == pytest.approx(clf.loss_, rel=1e-5)
    outputs = model.predict(X, verbose=0)
    # Keras's float32 and NumPy's float64 may split a near-tie differently.
    unclear = np.sum(np.diff(np.sort(outputs, axis=1)[:, -2:], axis=1) <= 1e-4)
    assert accuracy == pytest.approx(clf.score(X, y), abs=(unclear + 0.5) / len(X))
    assert_clear_predictions_agree(
        clf.classes_[outputs.argmax(axis=1)], clf.predict(X), outputs
    )
    # The outputs are the units' activations; predict_proba normalises them.
    # Keras computes in float32 and predict_proba in float64: through two
    # tanh layers of a fitted network the two differ by up to about 1e-5
    # (1.2e-5 measured on one of 1797 rows), a wrong export by far more.
    np.testing.assert_allclose(
        outputs / outputs.sum(axis=1, keepdims=True), clf.predict_proba(X), atol=1e-4
    )


def test_to_keras_of_a_minibatch_fit_keeps_its_optimizer(small_digits):
    X, y = small_digits
    clf = fit_fast(X, y, solver="adam", learning_rate_init=0.01, backend="keras")
    model = clf.to_keras()
    assert type(model.optimizer).__name__ == "Adam"
    assert int(model.optimizer.iterations.numpy()) == clf._optimizer_state_["t"]
    # loss_ of a minibatch fit is the last epoch's mean minibatch loss; the
    # model evaluates the objective at the final weights.
    f = build_objective(X, np.eye(3)[y], l2=clf.alpha, layer_sizes=[64, 10, 3])
    loss = model.evaluate(X, np.eye(3)[y], verbose=0)[0]
    assert loss == pytest.approx(
        f(theta_from_layers(clf.coefs_, clf.intercepts_))[0], rel=1e-5
    )
    with pytest.raises(NotFittedError):
        MLPDigitClassifier().to_keras()
