"""A Keras model's loss against its output layer and the course's cost.

The course's cost is the binary cross-entropy summed over the sigmoid output
units and averaged over the samples. Each check below takes a :class:`_Loss`
and returns its findings (a list, often empty); :func:`check_loss` runs them in
the order of ``_CHECKS``.
"""

import math
from dataclasses import dataclass

from skdigits._keras.diagnosis.common import describe_loss, loss_weight


@dataclass(frozen=True)
class _Loss:
    """What the checks look at: the model's loss and its output layer."""

    model: object
    output: object  # the output Dense layer
    kind: str  # 'course', 'categorical', 'sparse categorical', 'binary'
    from_logits: bool
    loss: object
    activation: str  # the output layer's
    penalty: str | None  # penalty_consistency: 'scaled', 'course' or None

    @property
    def n_outputs(self):
        return self.output.units


def _smoothing(info):
    smoothing = getattr(info.loss, "get_config", dict)().get("label_smoothing", 0)
    if not smoothing:
        return []
    return [
        f"The loss smooths the labels ({smoothing:g}); the course fits the "
        "one-hot labels themselves."
    ]


def _logits(info):
    """Logits and probabilities, as Keras 3 with TensorFlow treats them.

    A linear output read as probabilities keeps the model from training and
    is a candidate of the probe, not a departure; a softmax or sigmoid output
    with ``from_logits=True`` trains exactly as without it (Keras takes the
    logits it keeps on the output; measured), so it is only a note.
    """
    activation = info.activation
    if activation in ("sigmoid", "softmax") and info.from_logits:
        return [
            f"The loss has from_logits=True on a {activation} output: Keras 3 "
            "with TensorFlow then uses the logits it keeps on the output, so "
            "this trains exactly as from_logits=False (measured); drop the flag "
            "to say what is meant"
        ]
    if activation not in ("sigmoid", "softmax", "linear"):
        return [
            f"The output layer {info.output.name!r} uses the {activation} "
            "activation; the course's output units are sigmoid."
        ]
    return []


def _categorical(info):
    if info.kind not in ("categorical", "sparse categorical"):
        return []
    if info.activation == "sigmoid":
        return [
            f"The loss is {info.kind} cross-entropy on a sigmoid output layer: "
            "Keras 3 computes it as the softmax cross-entropy of the "
            "pre-sigmoid logits, so the model trains as a softmax classifier "
            "(measured: the same accuracy and loss), but the sigmoid units are "
            "not fitted as the course's one-vs-all probabilities. The course's "
            f"cost is the binary cross-entropy summed over the {info.n_outputs} "
            "sigmoid units."
        ]
    if info.activation == "linear" and not info.from_logits:
        return []  # logits read as probabilities: a finding of the probe
    outputs = "logits" if info.activation == "linear" else f"{info.activation} outputs"
    return [
        f"The loss is {info.kind} cross-entropy on {outputs}: a "
        "sound objective (skdigits' out_activation='softmax'), but not the "
        "course's, which sums the binary cross-entropy of one sigmoid unit "
        "per class."
    ]


def _summed_over_softmax(info):
    if info.kind == "course" and info.activation == "softmax":
        return [
            "The loss sums the binary cross-entropy over softmax outputs; the "
            "course's outputs are sigmoid units."
        ]
    return []


def _scale_mistake(info, weight, scale):
    """A data term ``scale`` times the course's, with the penalty not scaled."""
    K, binary = info.n_outputs, info.kind == "binary"
    what = (
        f"Keras's binary cross-entropy averages over the {K} output "
        "units where the course sums them"
        if binary
        else "The loss is the course's"
    )
    if weight != 1:
        what += f", and compile(loss_weights={weight:g}) multiplies it"
    return (
        f"{what}: the data term is {scale:.4g} times the course's, as if "
        f"lambda were {1 / scale:.4g} times larger. Sum the binary "
        "cross-entropy over the units (or pass loss_weights="
        f"{K if binary else 1})"
        + (
            f", or keep the mean and divide the L2 factors by {K}: "
            f"l2(lambda / (2 * m * {K}))."
            if binary
            else "."
        )
    )


def _data_scale(info):
    """The data term against the course's: Keras's binary cross-entropy
    averages over the units, and ``compile(loss_weights=w)`` multiplies it."""
    if info.kind not in ("binary", "course"):
        return []
    weight = loss_weight(info.model)
    scale = weight / info.n_outputs if info.kind == "binary" else weight
    if math.isclose(scale, 1.0, rel_tol=1e-6):
        return []
    if info.penalty == "scaled":
        # The penalty is scaled alike: the course's objective times a
        # constant, the same minimum. A note, not a mistake.
        return [
            f"Note: the loss is {scale:.4g} times the course's data term and "
            f"the L2 factors are scaled alike, so the objective is the course's "
            f"times {scale:.4g}, with the same minimum; the loss Keras prints "
            f"is the course's J times {scale:.4g}."
        ]
    return [_scale_mistake(info, weight, scale)]


_CHECKS = (_smoothing, _logits, _categorical, _summed_over_softmax, _data_scale)


def check_loss(model, output, activation, penalty="course"):
    """The loss's departures from the course's cost, given the output layer,
    the activation it applies (a separate Activation layer included) and the
    :func:`~skdigits._keras.diagnosis.penalty.penalty_consistency` of the L2
    factors."""
    kind, from_logits, loss = describe_loss(model.loss)
    if kind.startswith("other:"):
        return []  # a candidate of the probe, with its own departure
    info = _Loss(model, output, kind, from_logits, loss, activation, penalty)
    return [finding for check in _CHECKS for finding in check(info)]
