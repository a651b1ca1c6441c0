"""The Keras diagnosis on a corpus of real-shaped digit models.

Each model is written in the shape of Keras's and TensorFlow's examples or of
a common question, trained on the 5000 real digits of ``load_mnist_5k``. Its
truth ('healthy', or the check that names what keeps it from training) was
established by training it as given and with that one fix (``--verify``
re-measures it: the accuracy as given and with the true fix, at the author's
epochs). The table: model, truth, the diagnosis's first stops-training
finding, agreement.

Run: ``python benchmarks/bench_diagnosis.py [--verify] [--budget SECONDS]``.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from skdigits.course import build_keras_model, diagnose_keras_model  # noqa: E402
from skdigits.datasets import load_mnist_5k  # noqa: E402

X, y = load_mnist_5k(return_X_y=True)
X = X.astype(np.float32)
Y = np.eye(10, dtype=np.float32)[y]
M = len(X)
L = keras.layers
X255 = (X - X.min()) / (X.max() - X.min()) * 255
IMAGES = X.reshape(-1, 20, 20)


def seq(layers, loss, optimizer="adam", cls=keras.Sequential):
    model = cls(layers)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


class DigitNet(keras.Sequential):
    """A Sequential subclass, as some tutorials write."""


CORPUS = {}


def case(name, truth):
    def register(build):
        CORPUS[name] = (truth, build)
        return build

    return register


# Each build(fixed) returns (model, X, y, epochs, batch_size); with fixed=True
# the one true fix is applied (healthy models ignore it).


@case("keras.io MNIST MLP (512-512 relu, dropout, RMSprop)", "healthy")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(512, activation="relu"),
            L.Dropout(0.2),
            L.Dense(512, activation="relu"),
            L.Dropout(0.2),
            L.Dense(10, activation="softmax"),
        ],
        "categorical_crossentropy",
        keras.optimizers.RMSprop(),
    )
    return model, X, Y, 5, 128


@case("TF quickstart (Flatten, logits, from_logits=True)", "healthy")
def _(fixed):
    model = seq(
        [
            L.Input((20, 20)),
            L.Flatten(),
            L.Dense(128, activation="relu"),
            L.Dropout(0.2),
            L.Dense(10),
        ],
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model, IMAGES, y, 5, 32


@case("keras.io simple convnet", "healthy")
def _(fixed):
    model = seq(
        [
            L.Input((20, 20, 1)),
            L.Conv2D(16, 3, activation="relu"),
            L.MaxPooling2D(),
            L.Conv2D(32, 3, activation="relu"),
            L.MaxPooling2D(),
            L.Flatten(),
            L.Dropout(0.5),
            L.Dense(10, activation="softmax"),
        ],
        "categorical_crossentropy",
    )
    return model, IMAGES[..., None], Y, 3, 128


@case("build_keras_model (the course's network, Adam)", "healthy")
def _(fixed):
    return build_keras_model(n_samples=M), X, Y, 20, 64


@case("sigmoid outputs + categorical_crossentropy, Adam", "healthy")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(25, activation="sigmoid"),
            L.Dense(10, activation="sigmoid"),
        ],
        "categorical_crossentropy",
    )
    return model, X, Y, 10, 32


@case("softmax + from_logits=True", "healthy")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        keras.losses.CategoricalCrossentropy(from_logits=True),
    )
    return model, X, Y, 5, 32


@case("Keras default L2() on every layer", "healthy")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(64, activation="relu", kernel_regularizer=keras.regularizers.L2()),
            L.Dense(
                10, activation="softmax", kernel_regularizer=keras.regularizers.L2()
            ),
        ],
        "sparse_categorical_crossentropy",
    )
    return model, X, y, 10, 32


@case("Dense + separate Activation layers, SGD momentum", "healthy")
def _(fixed):
    model = seq(
        [L.Dense(64), L.Activation("relu"), L.Dense(10), L.Activation("softmax")],
        "sparse_categorical_crossentropy",
        keras.optimizers.SGD(0.01, momentum=0.9),
    )
    return model, X, y, 5, 32


@case("no input shape, sigmoid hidden, Adam", "healthy")
def _(fixed):
    model = seq(
        [L.Dense(100, activation="sigmoid"), L.Dense(10, activation="softmax")],
        "categorical_crossentropy",
    )
    return model, X, Y, 10, 32


@case("standardised inputs, ReLU", "healthy")
def _(fixed):
    Xs = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-6)
    model = seq(
        [
            L.Input((400,)),
            L.Dense(128, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        "sparse_categorical_crossentropy",
    )
    return model, Xs, y, 5, 32


@case("inputs 0..16 (sklearn digits style), ReLU", "healthy")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        "sparse_categorical_crossentropy",
    )
    return model, X * 16 / X.max(), y, 5, 32


@case("MSE on softmax outputs", "healthy")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        "mse",
    )
    return model, X, Y, 10, 32


@case("SGD with an ExponentialDecay schedule", "healthy")
def _(fixed):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 1000, 0.9)
    model = seq(
        [
            L.Input((400,)),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        "sparse_categorical_crossentropy",
        keras.optimizers.SGD(schedule),
    )
    return model, X, y, 5, 32


@case("Sequential subclass, Functional-style head", "healthy")
def _(fixed):
    model = seq(
        [L.Input((400,)), L.Dense(64, activation="tanh"), L.Dense(10), L.Softmax()],
        "sparse_categorical_crossentropy",
        cls=DigitNet,
    )
    return model, X, y, 5, 32


@case("the seed: l2(1), 100 full-batch SGD steps of 0.01", "penalty")
def _(fixed):
    l2 = keras.regularizers.l2(1 / (2 * M) if fixed else 1.0)
    model = seq(
        [
            L.Input((400,)),
            L.Dense(25, activation="sigmoid", kernel_regularizer=l2),
            L.Dense(10, activation="sigmoid", kernel_regularizer=l2),
        ],
        "categorical_crossentropy",
        keras.optimizers.SGD(1.0 if fixed else 0.01),
    )
    return model, X, Y, 100, M


@case("l2(0.3) on a ReLU MLP", "penalty")
def _(fixed):
    l2 = keras.regularizers.l2(1e-4 if fixed else 0.3)
    model = seq(
        [
            L.Input((400,)),
            L.Dense(128, activation="relu", kernel_regularizer=l2),
            L.Dense(10, activation="softmax", kernel_regularizer=l2),
        ],
        "sparse_categorical_crossentropy",
    )
    return model, X, y, 5, 32


@case("one output unit fitting the labels (MSE)", "labels")
def _(fixed):
    out = [L.Dense(10, activation="softmax")] if fixed else [L.Dense(1)]
    model = seq(
        [L.Input((400,)), L.Dense(64, activation="relu"), *out],
        "sparse_categorical_crossentropy" if fixed else "mse",
    )
    return model, X, y, 5, 32


@case("integer labels with categorical_crossentropy", "labels")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        "categorical_crossentropy",
    )
    return model, X, Y if fixed else y, 5, 32


@case("one-hot labels with sparse_categorical_crossentropy", "labels")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        "sparse_categorical_crossentropy",
    )
    return model, X, y if fixed else Y, 5, 32


@case("course labels 1..10 with 10 units, sparse loss", "labels")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        "sparse_categorical_crossentropy",
    )
    return model, X, y if fixed else np.where(y == 0, 10, y), 5, 32


@case("logits read as probabilities (linear output, CCE)", "loss")
def _(fixed):
    model = seq(
        [L.Input((400,)), L.Dense(64, activation="relu"), L.Dense(10)],
        keras.losses.CategoricalCrossentropy(from_logits=fixed),
    )
    return model, X, Y, 5, 32


@case("inputs 0..255, sigmoid hidden units, SGD", "inputs")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(25, activation="sigmoid"),
            L.Dense(10, activation="softmax"),
        ],
        "sparse_categorical_crossentropy",
        keras.optimizers.SGD(0.1),
    )
    return model, X if fixed else X255, y, 5, 32


@case("Adam at 1e-6 (1000x too small)", "optimizer")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        "sparse_categorical_crossentropy",
        keras.optimizers.Adam(1e-3 if fixed else 1e-6),
    )
    return model, X, y, 5, 32


@case("Adadelta with Keras 3's default rate", "optimizer")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        "sparse_categorical_crossentropy",
        keras.optimizers.Adadelta(1.0 if fixed else 0.001),
    )
    return model, X, y, 5, 32


@case("one epoch of SGD at 0.001", "optimizer")
def _(fixed):
    model = seq(
        [
            L.Input((400,)),
            L.Dense(64, activation="relu"),
            L.Dense(10, activation="softmax"),
        ],
        "sparse_categorical_crossentropy",
        keras.optimizers.SGD(0.1 if fixed else 0.001),
    )
    return model, X, y, 1, 32


def accuracy(model, Xa, ya):
    out = model.predict(Xa, verbose=0, batch_size=1024)
    target = ya.argmax(1) if ya.ndim == 2 else ya
    pred = out.argmax(1) if out.shape[-1] > 1 else np.rint(out[:, 0])
    return float(np.mean(pred == target))


def verify(build):
    """Accuracy as given and with the true fix, at the author's epochs."""
    results = []
    for fixed in (False, True):
        keras.utils.set_random_seed(0)
        model, Xa, ya, epochs, batch = build(fixed)
        try:
            model.fit(Xa, ya, epochs=epochs, batch_size=batch, verbose=0)
            results.append(f"{accuracy(model, Xa, ya):.0%}")
        except Exception as exc:  # noqa: BLE001
            results.append(f"fails ({type(exc).__name__})")
    return " -> ".join(results)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--budget", type=float, default=30.0)
    args = parser.parse_args()
    rows, agree, start = [], 0, time.perf_counter()
    for name, (truth, build) in CORPUS.items():
        keras.utils.set_random_seed(0)
        model, Xa, ya, epochs, batch = build(False)
        began = time.perf_counter()
        try:
            diagnosis = diagnose_keras_model(
                model,
                X=Xa,
                y=ya,
                epochs=epochs,
                batch_size=batch,
                time_budget=args.budget,
            )
            stops = diagnosis.stops_training
            first = stops[0].check if stops else "healthy"
            detail = (
                f"{diagnosis.baseline}"
                if not stops
                else (
                    "fails"
                    if stops[0].effect is None or stops[0].effect[0] is None
                    else f"{stops[0].effect[0]:.0%}->{stops[0].effect[1]:.0%}"
                )
            )
        except Exception as exc:  # noqa: BLE001 - a crash is a result here
            first, detail = "CRASH", f"{type(exc).__name__}: {exc}"[:60]
        seconds = time.perf_counter() - began
        ok = first == truth
        agree += ok
        check = verify(build) if args.verify else ""
        rows.append((name, truth, first, detail, ok, seconds, check))
        print(
            f"{name[:52]:52s} {truth:9s} {first:9s} {'yes' if ok else 'NO':3s} "
            f"{seconds:5.1f}s {detail[:24]:24s} {check}",
            flush=True,
        )
    print(
        f"\nagreement: {agree}/{len(rows)}; crashes: "
        f"{sum(r[2] == 'CRASH' for r in rows)}; healthy told kept from training: "
        f"{sum(r[1] == 'healthy' and r[2] != 'healthy' for r in rows)}; "
        f"longest probe {max(r[5] for r in rows):.1f} s (budget {args.budget:g} s); "
        f"total {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
