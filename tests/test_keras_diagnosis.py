"""skdigits.course.diagnose_keras_model: real Keras models, measured findings."""

import time

import numpy as np
import pytest

from skdigits.course import build_keras_model, diagnose_keras_model

from _helpers import LazyModule, fit_fast, needs_tensorflow

pytestmark = needs_tensorflow
keras = LazyModule("keras")


def _seed_model(n_features=400, l2=1.0):
    """The seed's Keras model, as the learner wrote it."""
    model = keras.Sequential(
        [
            keras.Input(shape=(n_features,)),
            keras.layers.Dense(
                25, activation="sigmoid", kernel_regularizer=keras.regularizers.l2(l2)
            ),
            keras.layers.Dense(
                10, activation="sigmoid", kernel_regularizer=keras.regularizers.l2(l2)
            ),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _mlp(layers, loss="sparse_categorical_crossentropy", optimizer="adam"):
    model = keras.Sequential(layers)
    model.compile(optimizer=optimizer, loss=loss)
    return model


@pytest.fixture(scope="module")
def small8(digits8):
    """600 of the 8x8 digits in [0, 1]: quick probes."""
    X, y = digits8
    return X[:600].astype(np.float32), y[:600]


def test_seed_model_measured_penalty_first_then_optimizer_then_loss(digits20):
    X, y = digits20
    model = _seed_model()
    before = [w.copy() for w in model.get_weights()]
    diagnosis = diagnose_keras_model(
        model, X=X, y=np.eye(10)[y], epochs=100, batch_size=len(X), time_budget=20
    )
    checks = [(f.kind, f.check) for f in diagnosis]
    assert checks[:2] == [
        ("stops-training", "penalty"),
        ("stops-training", "optimizer"),
    ]
    assert checks[2] == ("departure", "course")
    penalty = diagnosis[0]
    low, high = penalty.effect
    assert low < 0.2 and high > low + 0.15, penalty.effect  # measured, in numbers
    assert "after the same 100 epochs" in str(penalty)
    assert "l2(1 / (2 * 1797))" in str(penalty)
    assert "categorical cross-entropy on a sigmoid output" in str(diagnosis[2])
    assert "does not train as given" in diagnosis.summary
    assert diagnosis.probe_seconds < 20 + 5
    # The user's model is never touched: same weights, no optimizer step.
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    assert int(model.optimizer.iterations.numpy()) == 0


def test_seed_model_without_data_rules_marked_not_measured():
    diagnosis = diagnose_keras_model(
        _seed_model(), n_samples=5000, epochs=100, batch_size=5000
    )
    stops = diagnosis.stops_training
    assert [f.check for f in stops] == ["penalty", "optimizer"]
    assert all(f.effect is None and "not measured" in str(f) for f in stops)
    assert "Not measured" in diagnosis.summary


def test_ordinary_l2_factors_are_not_alarms():
    # Keras's default L2() is 0.01; at m = 5000 the old rule called it pinning.
    for factor, m in [(0.01, 5000), (0.001, 60000)]:
        model = _seed_model(l2=factor)
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        diagnosis = diagnose_keras_model(model, n_samples=m)
        assert not diagnosis.stops_training, str(diagnosis)
        assert any("carry an L2 factor" in str(f) for f in diagnosis)


def test_healthy_model_is_told_so_with_its_number(small8):
    X, y = small8
    model = _mlp(
        [
            keras.layers.Dense(
                64, activation="relu", kernel_regularizer=keras.regularizers.L2()
            ),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(10),
            keras.layers.Activation("softmax"),
        ]
    )
    diagnosis = diagnose_keras_model(
        model, X=X, y=y, epochs=15, batch_size=32, time_budget=10
    )
    assert diagnosis.summary.startswith("Nothing here keeps this model from training")
    assert diagnosis.baseline >= 0.85
    assert not diagnosis.stops_training
    text = str(diagnosis)
    assert "'dense' uses the relu activation" in text or "relu activation" in text
    assert "Dropout layer" in text
    # Read with its separate Activation layer: softmax, not "linear logits".
    assert "categorical cross-entropy on softmax outputs" in text
    assert "linear" not in text


def test_unscaled_inputs_measured_and_ranked(small8):
    X, y = small8
    model = _mlp(
        [
            keras.Input((64,)),
            keras.layers.Dense(25, activation="sigmoid"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        optimizer=keras.optimizers.SGD(0.1),
    )
    diagnosis = diagnose_keras_model(
        model, X=X * 255, y=y, epochs=3, batch_size=32, time_budget=12
    )
    first = diagnosis[0]
    assert (first.kind, first.check) == ("stops-training", "inputs"), str(diagnosis)
    assert str(first).startswith("Inputs scaled to [0, 1]: ")
    assert first.effect[1] >= first.effect[0] + 0.15


def test_labels_the_loss_cannot_take_fail_the_fit_and_are_fixed(small8):
    X, y = small8
    model = _mlp(
        [keras.Input((64,)), keras.layers.Dense(10, activation="softmax")],
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(0.01),
    )
    diagnosis = diagnose_keras_model(
        model, X=X, y=y, epochs=2, batch_size=64, time_budget=10
    )
    first = diagnosis[0]
    assert first.check == "labels" and first.effect[0] is None, str(diagnosis)
    assert "fit fails" in str(first) and "one-hot" in str(first)
    assert diagnosis.summary.startswith("model.fit fails as given")
    # Rule-based: a single output unit for 10 classes, without measuring.
    one = _mlp([keras.Input((64,)), keras.layers.Dense(1)], loss="mse")
    found = diagnose_keras_model(one, n_samples=600)
    assert not found.stops_training  # no y: the class count is unknown


def test_keras3_rules_hold_by_experiment(small8):
    """The claims the rules make about Keras 3, checked on the same weights."""
    X, y = small8
    Y = np.eye(10)[y]
    model = _mlp(
        [keras.Input((64,)), keras.layers.Dense(10, activation="softmax")],
        loss="categorical_crossentropy",
    )
    plain = model.evaluate(X, Y, verbose=0)
    model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    with pytest.warns(UserWarning):
        logits_flag = model.evaluate(X, Y, verbose=0)
    assert logits_flag == pytest.approx(plain, rel=1e-5)  # softmax not applied twice
    sigmoid = _mlp(
        [keras.Input((64,)), keras.layers.Dense(10, activation="sigmoid")],
        loss="categorical_crossentropy",
    )
    sigmoid.set_weights(model.get_weights())
    # categorical cross-entropy on sigmoid outputs = softmax CE of the logits
    assert sigmoid.evaluate(X, Y, verbose=0) == pytest.approx(plain, rel=1e-5)
    diagnosis = diagnose_keras_model(model, n_samples=600)
    assert not diagnosis.stops_training
    assert any("trains exactly as from_logits=False" in str(f) for f in diagnosis)
    linear = _mlp(
        [keras.Input((64,)), keras.layers.Dense(10)], loss="categorical_crossentropy"
    )
    first = diagnose_keras_model(linear, n_samples=600)[0]
    assert first.kind == "stops-training" and "from_logits=True" in str(first)


def test_real_model_shapes_are_read_without_crash(small8):
    X, y = small8
    images = X.reshape(-1, 8, 8)

    class MyModel(keras.Sequential):
        pass

    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    hidden = keras.layers.MaxPooling2D()(hidden)
    outputs = keras.layers.Dense(10, activation="softmax")(
        keras.layers.Flatten()(hidden)
    )
    conv = keras.Model(inputs, outputs)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 100, 0.9)
    conv.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
    no_shape = MyModel(
        [
            keras.layers.Flatten(),
            keras.layers.Dense(16),
            keras.layers.Activation("sigmoid"),
            keras.layers.Dense(10),
            keras.layers.Activation("sigmoid"),
        ]
    )
    no_shape.compile(optimizer="sgd", loss="categorical_crossentropy")
    conv_text = str(diagnose_keras_model(conv, n_samples=600))
    assert "not an MLP" in conv_text and "Conv2D" in conv_text
    text = str(diagnose_keras_model(no_shape, n_samples=600))
    assert "categorical cross-entropy on a sigmoid output layer" in text
    assert "from_logits" not in text
    diagnosis = diagnose_keras_model(
        no_shape, X=images, y=np.eye(10)[y], epochs=1, time_budget=6
    )
    assert diagnosis.baseline is not None
    assert not no_shape.built  # never modified
    with pytest.raises(ValueError, match=r"shape \(8, 8, 1\)"):
        diagnose_keras_model(conv, X=X, y=y)


def test_course_models_have_nothing_to_report(digits20):
    X, y = digits20
    m = len(X)
    assert len(diagnose_keras_model(build_keras_model(n_samples=m), n_samples=m)) == 0
    clf = fit_fast(X, y, solver="cg", hidden_layer_sizes=(25,), max_iter=10)
    assert len(diagnose_keras_model(clf.to_keras(), n_samples=m)) == 0
    clf = fit_fast(X, y, solver="cg", hidden_layer_sizes=(25,), max_iter=1, alpha=3.0)
    findings = list(diagnose_keras_model(clf.to_keras(), n_samples=m))
    assert len(findings) == 1 and f"{m} = 3, not lambda = 1" in str(findings[0])
    assert findings[0].kind == "departure"


def test_report_prints_iterates_and_renders_html():
    diagnosis = diagnose_keras_model(_seed_model(), n_samples=50, epochs=1)
    text = str(diagnosis)
    assert text.splitlines()[0] == diagnosis.summary
    assert "What keeps it from training:" in text and "Departures" in text
    html = diagnosis._repr_html_()
    assert html.count("<tr>") == len(diagnosis) + 1 and "stops-training" in html
    assert [str(f) for f in diagnosis] == [f.sentence for f in diagnosis.findings]
    assert "KerasDiagnosis" in repr(diagnosis)


def test_probe_stays_within_its_budget(digits20):
    X, y = digits20
    model = _mlp(
        [
            keras.Input((400,)),
            keras.layers.Dense(25, activation="sigmoid"),
            keras.layers.Dense(10, activation="softmax"),
        ],
        optimizer=keras.optimizers.SGD(1e-5),
    )
    start = time.perf_counter()
    diagnosis = diagnose_keras_model(
        model, X=X, y=y, epochs=500, batch_size=8, time_budget=4
    )
    elapsed = time.perf_counter() - start
    # A run is not started unless it fits in what is left, and the first one
    # is cut at its share; TensorFlow's tracing cannot be interrupted, so on a
    # busy machine a few seconds past the budget. 500 epochs would take minutes.
    assert diagnosis.probe_seconds < 4 + 6 and elapsed < 4 + 8
    assert "what the time budget allowed" in diagnosis.summary


def test_bad_arguments_get_clear_errors(digits20):
    X, y = digits20
    with pytest.raises(TypeError, match="keras.Model"):
        diagnose_keras_model("model", n_samples=10)
    with pytest.raises(ValueError, match="n_samples"):
        diagnose_keras_model(_seed_model(), n_samples=-3)
    with pytest.raises(ValueError, match="n_samples .* or X"):
        diagnose_keras_model(_seed_model())
    with pytest.raises(ValueError, match="X has 10 samples but y has 9"):
        diagnose_keras_model(_seed_model(), X=X[:10], y=y[:9])
    with pytest.raises(ValueError, match="X has 10 samples but n_samples=20"):
        diagnose_keras_model(_seed_model(), n_samples=20, X=X[:10])
    with pytest.raises(ValueError, match="time_budget"):
        diagnose_keras_model(_seed_model(), X=X[:10], y=y[:10], time_budget=0)
    with pytest.raises(ValueError, match="y was given without X"):
        diagnose_keras_model(_seed_model(), n_samples=10, y=y[:10])
    with pytest.raises(ValueError, match=r"shape \(64,\)"):
        diagnose_keras_model(_seed_model(64), X=X[:10], y=y[:10])
    uncompiled = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="not compiled"):
        diagnose_keras_model(uncompiled, n_samples=10)


def test_pitfalls_corrected_model_gets_at_most_a_note(digits20):
    X, _ = digits20
    m = len(X)
    lam, K = 1.0, 10
    l2 = keras.regularizers.l2(lam / (2 * m * K))
    model = _mlp(
        [
            keras.Input((400,)),
            keras.layers.Dense(25, activation="sigmoid", kernel_regularizer=l2),
            keras.layers.Dense(K, activation="sigmoid", kernel_regularizer=l2),
        ],
        loss="binary_crossentropy",
    )
    findings = list(diagnose_keras_model(model, n_samples=m))
    assert len(findings) == 1, findings
    assert str(findings[0]).startswith("Note: the loss is 0.1 times the course's")


def test_any_keras_loss_and_inputs_without_labels(small8):
    X, _ = small8

    def my_loss(y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)

    for loss in (keras.losses.Huber(), my_loss, "categorical_focal_crossentropy"):
        model = _mlp(
            [keras.Input((64,)), keras.layers.Dense(10, activation="softmax")],
            loss=loss,
        )
        diagnosis = diagnose_keras_model(model, X=X * 255)
        assert not diagnosis.stops_training, str(diagnosis)
        inputs = [f for f in diagnosis if f.check == "inputs"]
        assert len(inputs) == 1 and "[0, 255]" in str(inputs[0])
        assert "not measured" in str(inputs[0]) and inputs[0].effect is None
