"""What might keep a Keras model from training, each with the fix to measure.

Each rule reads the model (and the data, when given) and returns a
:class:`Candidate`: a sentence saying what is suspect, whether it is certain
without measuring (the fit fails, or a rule measured offline below), and the
fix, as edits the probe applies to a clone of the model, its compile
arguments or the data. The probe measures each fix alone and decides.

The offline measurements behind the rules (Keras 3.15, TensorFlow 2.21 CPU,
the 5000 real digits of ``load_mnist_5k``, 5 epochs of Adam(0.001) in
minibatches of 32, training accuracy):

- L2 factor ``c`` on every kernel: 25 sigmoid units reach 81% at c = 0.01,
  57% at 0.03 and 10% at 0.1 and above; 128 ReLU units 91%, 87%, 63% and 10%
  at 0.3. Keras adds ``c * sum(W**2)`` to the *mean* loss, so the effect does
  not depend on the number of samples.
- A linear output layer with ``categorical_crossentropy`` (probabilities
  expected): 10%; with ``from_logits=True``: 89%.
- Softmax outputs with ``from_logits=True``, and sigmoid outputs with
  ``categorical_crossentropy``: both train exactly as softmax outputs with
  the plain loss (89%, same loss): Keras 3 with TensorFlow computes the
  cross-entropy from the logits it keeps on a softmax or sigmoid output.
"""

import math
from dataclasses import dataclass

import keras
import numpy as np

from skdigits._keras.diagnosis.reading import PROBABILITY_LOSSES

# Above this L2 factor on the kernels, the weights stay pinned near zero
# (measured above: 10% for sigmoid units at c = 0.1).
PINNING_L2 = 0.1
# Inputs beyond this magnitude are not pixel intensities in [0, 1].
MAX_SCALED_INPUT = 2.0
# Plain SGD: learning rate x steps / (1 - momentum) below this barely moves
# the weights. Full batch on the course's cost: 12% training accuracy after a
# total step of 1, 60% after 10, 93% after 100 (the Keras pitfalls page);
# minibatches of 32 (64 ReLU units, the 5000 digits): 18% after 0.16, 41%
# after 0.79, 58% after 1.6.
SGD_TOTAL_STEP_NEEDED = 10.0
SGD_MINIBATCH_TOTAL_STEP_NEEDED = 1.0
SGD_FULL_BATCH_TOTAL = 100.0

PRIORITY = {"labels": 0, "penalty": 1, "loss": 2, "inputs": 3, "optimizer": 4}


@dataclass
class Candidate:
    """A suspect and its fix. ``fix`` names the fix for the measured
    sentence ("inputs scaled to [0, 1]"); ``rule`` says why it is suspect;
    ``certain`` when it keeps the model from training without measuring."""

    check: str
    fix: str
    rule: str
    certain: bool = False
    layer_edit: object = None  # (layer, config, facts) -> config
    loss: object = None  # the loss to compile the clone with
    optimizer_edit: object = None  # config -> config
    data_edit: object = None  # (X, y) -> (X, y)
    departure: str | None = None  # its sentence when it does not stop training

    @property
    def priority(self):
        return PRIORITY[self.check]


def _regularizer_factor(regularizer, name):
    """The ``'l1'`` or ``'l2'`` factor of a Keras regularizer (0 if none)."""
    value = getattr(regularizer, name, 0.0) if regularizer is not None else 0.0
    try:
        return float(value or 0.0)
    except (TypeError, ValueError):
        return 0.0


def penalty_candidate(facts, n_samples, lambda_):
    """Kernel penalties strong enough to matter."""
    l2 = max(
        (
            _regularizer_factor(layer.kernel_regularizer, "l2")
            for layer in facts.regularized
        ),
        default=0.0,
    )
    l1 = max(
        (
            _regularizer_factor(layer.kernel_regularizer, "l1")
            for layer in facts.regularized
        ),
        default=0.0,
    )
    course = lambda_ / (2 * n_samples)
    if l2 < 10 * course and l1 < 1e-3 and l2 < 1e-3:
        return None

    def edit(layer, config, facts):
        if getattr(layer, "kernel_regularizer", None) is not None:
            config["kernel_regularizer"] = keras.regularizers.L2(course)
        return config

    strongest = f"L2 factor {l2:g}" if l2 >= l1 else f"L1 factor {l1:g}"
    return Candidate(
        check="penalty",
        fix=f"the kernel penalty set to the course's l2({lambda_:g} / (2 * "
        f"{n_samples})) = l2({course:.2g})",
        rule=(
            f"The kernel penalty ({strongest}) "
            + (
                "pins the weights near zero"
                if l2 >= PINNING_L2
                else "holds the weights small"
            )
            + ": Keras adds c * sum(W**2) to the mean loss, whatever the number "
            "of samples (measured offline: 25 sigmoid units reach 57% with "
            f"l2(0.03) and stay at 10% from l2({PINNING_L2:g})). The course's "
            f"lambda = {lambda_:g} is l2({lambda_:g} / (2 * m))"
        ),
        certain=l2 >= PINNING_L2,
        layer_edit=edit,
    )


def _sparse_of(facts):
    return keras.losses.SparseCategoricalCrossentropy(from_logits=facts.from_logits)


def labels_candidate(facts, labels):
    """Labels the loss cannot use, or more classes than output units."""
    units, K = facts.out_units, labels.n_classes
    kind = facts.loss_kind
    sparse = kind == "sparse categorical"
    if units < K and units == 1:

        def widen(layer, config, facts):
            if layer is facts.output:
                config.update(units=K, activation="softmax")
            elif layer in facts.trailing:
                config["activation"] = "linear"
            return config

        return Candidate(
            check="labels",
            fix=f"{K} softmax output units with sparse categorical cross-entropy",
            rule=(
                f"The output layer has 1 unit but y has {K} classes: the model "
                "fits the class numbers as one quantity, not one probability "
                "per class"
            ),
            certain=True,
            layer_edit=widen,
            loss=keras.losses.SparseCategoricalCrossentropy(),
            data_edit=_encoded,
        )
    if units < K:
        return Candidate(
            check="labels",
            fix=f"the output layer widened to the {K} classes",
            rule=f"The output layer has {units} units but y has {K} classes",
            certain=True,
            layer_edit=lambda layer, config, facts: (
                {**config, "units": K} if layer is facts.output else config
            ),
            data_edit=_encoded if sparse or not labels.one_hot else None,
        )
    if sparse and labels.one_hot:
        return Candidate(
            check="labels",
            fix="categorical cross-entropy for the one-hot labels",
            rule=(
                "The loss is sparse categorical cross-entropy, which takes "
                "integer labels, but y is one-hot: the fit fails"
            ),
            certain=True,
            loss=keras.losses.CategoricalCrossentropy(from_logits=facts.from_logits),
        )
    if sparse and not labels.zero_based:
        return Candidate(
            check="labels",
            fix="the labels encoded as 0..K-1",
            rule=(
                "Sparse categorical cross-entropy takes the labels 0.."
                f"{units - 1} as output unit indices, but y holds "
                f"{_show(labels.classes)}"
            ),
            certain=not np.issubdtype(labels.classes.dtype, np.integer)
            or labels.classes.max() >= units,
            data_edit=_encoded,
        )
    if not sparse and not labels.one_hot and units > 1:
        fails = kind in ("categorical", "course")
        return Candidate(
            check="labels",
            fix="the labels one-hot encoded",
            rule=(
                f"y holds integer labels but the {_loss_name(facts)} compares "
                f"them with {units} outputs"
                + (
                    ": the fit fails"
                    if fails
                    else ", broadcasting one label against every unit"
                )
            ),
            certain=True,
            data_edit=lambda X, y: (X, _one_hot(y, units)),
        )
    return None


def _show(classes):
    shown = ", ".join(str(c) for c in classes[:4])
    return f"{shown}{', ...' if len(classes) > 4 else ''} ({len(classes)} classes)"


def _encoded(X, y):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return X, np.argmax(y, axis=1)
    return X, np.unique(y.ravel(), return_inverse=True)[1]


def _one_hot(y, units):
    codes = np.unique(np.asarray(y).ravel(), return_inverse=True)[1]
    return np.eye(units, dtype=np.float32)[np.minimum(codes, units - 1)]


def _loss_name(facts):
    kind = facts.loss_kind
    if kind.startswith("other:"):
        return f"loss {kind[6:]!r}"
    return f"{kind} cross-entropy"


def loss_candidate(facts, labels):
    """The loss and the output layer not paired."""
    activation, kind = facts.out_activation, facts.loss_kind
    if kind in PROBABILITY_LOSSES and not facts.from_logits and activation == "linear":
        config = facts.loss.get_config() if hasattr(facts.loss, "get_config") else {}
        cls = type(facts.loss) if isinstance(facts.loss, keras.losses.Loss) else None
        if cls is None or "from_logits" not in config:
            cls = {
                "categorical": keras.losses.CategoricalCrossentropy,
                "sparse categorical": keras.losses.SparseCategoricalCrossentropy,
                "binary": keras.losses.BinaryCrossentropy,
            }.get(kind)
            config = {}
        if cls is None:
            return None
        config = {**config, "from_logits": True}
        config.pop("name", None)
        return Candidate(
            check="loss",
            fix="the loss given from_logits=True",
            rule=(
                f"The output layer {facts.output.name!r} is linear (logits) but "
                f"the {_loss_name(facts)} reads its outputs as probabilities "
                "(measured offline: 10% accuracy)"
            ),
            certain=True,
            loss=cls(**config),
        )
    if kind in PROBABILITY_LOSSES and activation not in (
        "sigmoid",
        "softmax",
        "linear",
    ):

        def softmax(layer, config, facts):
            if layer is facts.output:
                config["activation"] = "softmax"
            elif layer in facts.trailing:
                config["activation"] = "linear"
            return config

        return Candidate(
            check="loss",
            fix="a softmax output layer",
            rule=(
                f"The output layer uses the {activation} activation but the "
                f"{_loss_name(facts)} reads its outputs as probabilities"
            ),
            layer_edit=softmax,
        )
    if kind.startswith("other:") and facts.out_units > 1:
        sparse = labels is not None and not labels.one_hot

        def softmax(layer, config, facts):
            if layer is facts.output:
                config["activation"] = "softmax"
            elif layer in facts.trailing:
                config["activation"] = "linear"
            return config

        loss = (
            keras.losses.SparseCategoricalCrossentropy()
            if sparse
            else keras.losses.CategoricalCrossentropy()
        )
        return Candidate(
            check="loss",
            fix=f"softmax outputs with {'sparse ' if sparse else ''}categorical "
            "cross-entropy",
            rule=f"The {_loss_name(facts)} is not a cross-entropy",
            layer_edit=softmax,
            loss=loss,
            departure=(
                f"The {_loss_name(facts)} is not the course's cost (the binary "
                "cross-entropy summed over sigmoid output units)"
            ),
        )
    return None


def inputs_candidate(X):
    low, high = float(X.min()), float(X.max())
    if max(abs(low), abs(high)) <= MAX_SCALED_INPUT:
        return None
    span = high - low

    def scale(X, y):
        return (X - low) / span, y

    return Candidate(
        check="inputs",
        fix="inputs scaled to [0, 1]",
        rule=f"The inputs range over [{low:g}, {high:g}], not pixel intensities "
        "in [0, 1]",
        data_edit=scale,
        departure=(
            f"The inputs range over [{low:g}, {high:g}]; the course's pixel "
            "intensities lie within about [-0.13, 1.13]"
        ),
    )


def learning_rate(optimizer):
    """The optimizer's initial learning rate, or None for an unknown schedule."""
    value = optimizer.get_config().get("learning_rate")
    if isinstance(value, dict):
        return value.get("config", {}).get("initial_learning_rate")
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _scaled_rate(config, factor, to=None):
    config = dict(config)
    value = config.get("learning_rate")
    if isinstance(value, dict):
        value = {**value, "config": dict(value.get("config", {}))}
        rate = value["config"]["initial_learning_rate"]
        value["config"]["initial_learning_rate"] = to or rate * factor
        config["learning_rate"] = value
    else:
        config["learning_rate"] = to or float(value) * factor
    return config


def optimizer_candidate(facts, steps, full_batch=False):
    """A learning rate too small for the number of steps taken."""
    optimizer = facts.model.optimizer
    rate = learning_rate(optimizer)
    if rate is None:
        return None
    name = type(optimizer).__name__
    if name == "Adadelta" and rate < 0.1:
        return Candidate(
            check="optimizer",
            fix="Adadelta's learning rate set to 1.0 (Keras 2's default)",
            rule=(
                f"Adadelta's learning rate is {rate:g}: Keras 3's default is "
                "0.001, where Keras 2's was 1.0, and at 0.001 Adadelta barely "
                "moves the weights"
            ),
            certain=True,
            optimizer_edit=lambda config: _scaled_rate(config, 1.0, to=1.0),
        )
    certain = False
    total = None
    needed = SGD_TOTAL_STEP_NEEDED if full_batch else SGD_MINIBATCH_TOTAL_STEP_NEEDED
    if name == "SGD" and steps is not None:
        momentum = float(optimizer.get_config().get("momentum", 0.0) or 0.0)
        total = rate * steps / max(1 - momentum, 1e-3)
        certain = total < needed
    rule = f"{name}'s learning rate {rate:g}"
    if total is not None:
        rule += (
            f" over {steps} steps is a total step (learning rate x steps / (1 - "
            f"momentum)) of {total:.3g}, where about {needed:g} "
            "or more are needed: the weights barely leave their initial values"
        )
    else:
        rule += " may be too small for the steps taken"
    factor = 10.0
    if full_batch and total is not None and total < SGD_FULL_BATCH_TOTAL:
        # Full-batch gradient descent needs a total step of about 100.
        factor = min(
            10.0 ** math.ceil(math.log10(SGD_FULL_BATCH_TOTAL / total) - 1e-3), 1000.0
        )
    return Candidate(
        check="optimizer",
        fix=f"the learning rate raised {factor:g}x to {factor * rate:g}",
        rule=rule,
        certain=certain,
        optimizer_edit=lambda config: _scaled_rate(config, factor),
    )
