"""A Keras model's layers, inputs and optimizer against the course's network."""

import math

import keras
import numpy as np
from sklearn.utils.validation import check_array

from skdigits._keras.diagnosis.common import activation_name

# Measured on the bundled 20x20 digits, course network and cost, full batch
# (see examples/plot_keras_pitfalls.py): plain gradient descent reaches 12%
# training accuracy after a total step (learning rate x steps) of 1, 60% after
# 10 and 93% after 100; Adam reaches 20% after 100 steps of 0.01 and 95% after
# 100 steps of 0.1.
_SGD_TOTAL_STEP_NEEDED = 100.0
_ADAPTIVE_TOTAL_STEP_NEEDED = 3.0
_FEW_STEPS = 1000

# The course's pixel intensities (ex4data1.mat) lie within about [-0.13, 1.13].
_MAX_SCALED_INPUT = 2.0

_NEUTRAL_LAYERS = ("InputLayer", "Flatten", "Reshape", "Rescaling")


def check_layers(model, dense):
    findings = []
    for layer in model.layers:
        if not isinstance(layer, keras.layers.Dense | keras.layers.InputLayer):
            if type(layer).__name__ not in _NEUTRAL_LAYERS:
                findings.append(
                    f"Layer {layer.name!r} is a {type(layer).__name__} layer, which "
                    "the course's network (fully connected sigmoid layers) does not "
                    "have."
                )
    for layer in dense[:-1]:
        name = activation_name(layer)
        if name != "sigmoid":
            findings.append(
                f"Hidden layer {layer.name!r} uses the {name} activation; the "
                "course's hidden units are sigmoid."
            )
    return findings


def check_inputs(model, X, n_samples):
    X = check_array(X, accept_sparse="csr", dtype=(np.float64, np.float32))
    if X.shape[0] != n_samples:
        raise ValueError(
            f"X has {X.shape[0]} samples but n_samples={n_samples}; pass the "
            "training set and its size."
        )
    n_inputs = model.inputs[0].shape[-1] if model.inputs else None
    if n_inputs is not None and X.shape[1] != n_inputs:
        raise ValueError(
            f"X has {X.shape[1]} features but the model takes {n_inputs} inputs."
        )
    low, high = float(X.min()), float(X.max())
    for layer in model.layers:
        if isinstance(layer, keras.layers.Rescaling):
            scale, offset = float(np.max(layer.scale)), float(np.max(layer.offset))
            low, high = sorted((low * scale + offset, high * scale + offset))
    if max(abs(low), abs(high)) > _MAX_SCALED_INPUT:
        return [
            f"The inputs range over [{low:g}, {high:g}]; the course's pixel "
            "intensities lie within about [-0.13, 1.13]. With sigmoid units and "
            "initial weights of +-0.12, inputs this large saturate the hidden "
            "units; scale them to [0, 1] first (for example with MinMaxScaler)."
        ]
    return []


def check_optimizer(model, n_samples, epochs, batch_size):
    history = getattr(getattr(model, "history", None), "params", None) or {}
    if epochs is None:
        epochs = history.get("epochs")
    if batch_size is None and history.get("steps"):
        steps_per_epoch = int(history["steps"])
    else:
        steps_per_epoch = math.ceil(n_samples / (batch_size or 32))
    optimizer = getattr(model, "optimizer", None)
    if epochs is None or optimizer is None or steps_per_epoch != 1:
        return []
    try:
        learning_rate = float(np.asarray(optimizer.learning_rate))
    except TypeError:  # a schedule
        return []
    name = type(optimizer).__name__
    if name == "SGD":
        momentum = float(getattr(optimizer, "momentum", 0.0))
        total = epochs * learning_rate / (1 - momentum) if momentum < 1 else np.inf
        needed, what = _SGD_TOTAL_STEP_NEEDED, "learning rate x steps / (1 - momentum)"
    else:
        total = epochs * learning_rate
        needed, what = _ADAPTIVE_TOTAL_STEP_NEEDED, "learning rate x steps"
    if epochs >= _FEW_STEPS or total >= needed:
        return []
    return [
        f"{name} will take {epochs} full-batch steps of learning rate "
        f"{learning_rate:g}: a total step ({what}) of {total:.3g}, where about "
        f"{needed:g} are needed on the course's problem (measured on the bundled "
        "20x20 digits, full-batch gradient descent on the course's cost reaches "
        "12% training accuracy after a total of 1 and 93% after 100). The weights "
        "barely leave their initial values: train on minibatches (for example "
        "batch_size=64) with Adam, or take many more or larger steps."
    ]
