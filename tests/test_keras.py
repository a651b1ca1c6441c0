"""The course's Keras model and the diagnosis of a user's Keras model."""

import subprocess
import sys

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


from skdigits._keras import layers  # noqa: E402
from skdigits._network import initial_theta, theta_from_layers  # noqa: E402
from skdigits.course import (  # noqa: E402
    build_keras_model,
    diagnose_keras_model,
)

from _helpers import (  # noqa: E402
    fit_fast,
)


def _seed_model(n_features=400):
    """The seed's Keras model, as the learner wrote it."""
    model = keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(
                25, activation="sigmoid", kernel_regularizer=keras.regularizers.l2(1)
            ),
            keras.layers.Dense(
                10, activation="sigmoid", kernel_regularizer=keras.regularizers.l2(1)
            ),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model



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



def test_diagnose_names_each_of_the_seeds_mistakes(digits20):
    X, y = digits20
    m = len(X)
    findings = diagnose_keras_model(
        _seed_model(), n_samples=m, X=X, epochs=100, batch_size=m
    )
    assert len(findings) == 3, findings
    penalty, loss, optimizer = findings
    assert f"lambda = 1 * 2 * m = 1 * 2 * {m} = {2 * m}" in penalty
    assert f"l2(1 / (2 * {m}))" in penalty
    assert "categorical cross-entropy on a sigmoid output layer" in loss
    assert "softmax cross-entropy of the pre-sigmoid logits" in loss
    assert "100 full-batch steps of learning rate 0.01" in optimizer
    # Without epochs and batch_size, the model's last fit tells them.
    seed = _seed_model()
    seed.fit(X[:50], np.eye(10)[y[:50]], epochs=2, batch_size=50, verbose=0)
    assert "2 full-batch steps" in diagnose_keras_model(seed, n_samples=50)[-1]



def test_diagnose_finds_unscaled_inputs_mean_losses_and_bias_penalties(digits20):
    X, y = digits20
    m = len(X)
    course = build_keras_model(n_samples=m)
    findings = diagnose_keras_model(course, n_samples=m, X=X * 255)
    assert len(findings) == 1 and "range over [0, 255]" in findings[0]
    model = keras.Sequential(
        [
            keras.Input(shape=(400,)),
            keras.layers.Dense(
                25,
                activation="relu",
                kernel_regularizer=keras.regularizers.L2(1 / (2 * m)),
                bias_regularizer=keras.regularizers.L2(1 / (2 * m)),
                name="hidden",
            ),
            keras.layers.Dropout(0.2, name="drop"),
            keras.layers.Dense(10, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    findings = " ".join(diagnose_keras_model(model, n_samples=m))
    assert "'drop' is a Dropout layer" in findings
    assert "'hidden' uses the relu activation" in findings
    assert "'hidden' regularises its biases" in findings
    assert "kernels of layer 'out' are not penalised" in findings
    assert "averages over the 10 output units" in findings
    assert "0.1 times the course's, as if lambda were 10 times larger" in findings
    # loss_weights=K turns Keras's mean over the units into the course's sum.
    course.compile(optimizer="adam", loss="binary_crossentropy", loss_weights=10.0)
    assert diagnose_keras_model(course, n_samples=m) == []
    course = build_keras_model(n_samples=m)
    course.compile(optimizer="adam", loss=course.loss, loss_weights=0.5)
    findings = diagnose_keras_model(course, n_samples=m)
    assert len(findings) == 1 and "The loss is the course's" in findings[0]
    assert "loss_weights=0.5" in findings[0] and "lambda were 2 times" in findings[0]
    logits = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    logits.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    findings = " ".join(diagnose_keras_model(logits, n_samples=10, lambda_=0))
    assert "categorical cross-entropy on softmax outputs" in findings



def test_diagnose_finds_nothing_in_the_course_models(digits20):
    X, y = digits20
    m = len(X)
    assert diagnose_keras_model(build_keras_model(n_samples=m), n_samples=m) == []
    clf = fit_fast(X, y, solver="cg", hidden_layer_sizes=(25,), max_iter=10)
    exported = clf.to_keras()
    assert (
        diagnose_keras_model(exported, n_samples=m, X=X, epochs=50, batch_size=64) == []
    )
    # A different lambda is reported in the course's terms.
    clf = fit_fast(X, y, solver="cg", hidden_layer_sizes=(25,), max_iter=1, alpha=3.0)
    findings = diagnose_keras_model(clf.to_keras(), n_samples=m)
    assert len(findings) == 1 and f"{m} = 3, not lambda = 1" in findings[0]



def test_diagnose_bad_input(digits20):
    X, _ = digits20
    with pytest.raises(TypeError, match="keras.Model"):
        diagnose_keras_model("model", n_samples=10)
    with pytest.raises(ValueError, match="n_samples"):
        diagnose_keras_model(_seed_model(), n_samples=-3)
    with pytest.raises(ValueError, match="X has 10 samples"):
        diagnose_keras_model(_seed_model(), n_samples=20, X=X[:10])
    with pytest.raises(ValueError, match="takes 64 inputs"):
        diagnose_keras_model(_seed_model(64), n_samples=10, X=X[:10])



def test_course_helpers_import_keras_only_when_called(monkeypatch):
    code = (
        "import sys, skdigits, skdigits._keras.course, skdigits._backends\n"
        "loaded = [m for m in ('tensorflow', 'keras') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "keras" else real_find_spec(name, *a),
    )
    with pytest.raises(ImportError, match=r"skdigits\[keras\]"):
        build_keras_model(n_samples=10)
    with pytest.raises(ImportError, match=r"skdigits\[keras\]"):
        diagnose_keras_model(object(), n_samples=10)



def _pitfalls_together_model(m, lam=1.0, K=10):
    """The Keras pitfalls page's corrected model, as the page writes it."""
    l2 = keras.regularizers.l2(lam / (2 * m * K))
    model = keras.Sequential(
        [
            keras.Input((400,)),
            keras.layers.Dense(25, activation="sigmoid", kernel_regularizer=l2),
            keras.layers.Dense(K, activation="sigmoid", kernel_regularizer=l2),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    return model



def test_diagnose_pitfalls_corrected_model_gets_at_most_a_note(digits20):
    X, _ = digits20
    m = len(X)
    findings = diagnose_keras_model(
        _pitfalls_together_model(m), n_samples=m, X=X, epochs=100, batch_size=200
    )
    # The K in the penalty cancels binary_crossentropy's mean over the K units.
    assert len(findings) == 1, findings
    assert findings[0].startswith("Note: the loss is 0.1 times the course's")
    assert "same minimum" in findings[0]
    assert not any("carry an L2 factor" in f or "as if lambda" in f for f in findings)
    # The old advice, l2(1 / (2m)) with binary_crossentropy, is 10x the
    # course's penalty: one finding says so, and its fix keeps the K.
    model = _pitfalls_together_model(m, lam=10.0)
    findings = diagnose_keras_model(model, n_samples=m, lambda_=1.0)
    assert len(findings) == 1, findings
    assert "as if lambda were 10 times larger" in findings[0]
    assert "l2(lambda / (2 * m * 10))" in findings[0]
    # Any other factor is judged against the scaled objective.
    model = _pitfalls_together_model(m, lam=3.0)
    penalty = diagnose_keras_model(model, n_samples=m, lambda_=1.0)[0]
    assert "= 3, not lambda = 1" in penalty
    assert f"l2(1 / (2 * {m} * 10))" in penalty



def test_diagnose_leads_with_the_pinning_penalty_and_its_effect(digits20):
    X, _ = digits20
    m = len(X)
    first = diagnose_keras_model(
        _seed_model(), n_samples=m, X=X, epochs=100, batch_size=m
    )[0]
    assert "L2 factor of 1" in first
    assert "predicts one class, about 1/K = 10% accuracy" in first
    assert "sum of squares of 6.93" in first  # K log 2 / (lambda / (2m)) with c = 1
    assert "Keras pitfalls" in first
    # The usual advice, ReLU hidden units, softmax and Adam, keeps l2(1): the
    # diagnosis still leads with the penalty, not with the activations.
    relu = keras.Sequential(
        [
            keras.Input((400,)),
            keras.layers.Dense(
                25, activation="relu", kernel_regularizer=keras.regularizers.l2(1)
            ),
            keras.layers.Dense(
                10, activation="softmax", kernel_regularizer=keras.regularizers.l2(1)
            ),
        ]
    )
    relu.compile(optimizer="adam", loss="categorical_crossentropy")
    findings = diagnose_keras_model(relu, n_samples=m)
    assert "L2 factor of 1" in findings[0]
    assert "10% accuracy" in findings[0]
    assert any("relu" in f for f in findings[1:])


