"""Read a compiled Keras model and its data into the facts the checks use.

A Dense layer followed by a separate ``Activation`` (or ``Softmax``, ``ReLU``)
layer is read as one layer with that activation; models without an input
shape, Functional models and Sequential subclasses are read without building
them; the user's model is never modified.
"""

from dataclasses import dataclass, field

import keras
import numpy as np

from skdigits._keras.diagnosis.common import describe_loss

# Layers that neither transform the features nor end a unit: skipped when
# looking for the activation that follows a Dense layer.
_PASS_THROUGH = (
    "Dropout",
    "BatchNormalization",
    "LayerNormalization",
    "GaussianNoise",
    "GaussianDropout",
    "AlphaDropout",
    "ActivityRegularization",
)
_ACTIVATION_LAYERS = {
    "Softmax": "softmax",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "ELU": "elu",
    "PReLU": "prelu",
}
_NEUTRAL = ("InputLayer", "Flatten", "Reshape", "Rescaling", "Activation")
# Losses whose predictions must be probabilities unless from_logits=True.
PROBABILITY_LOSSES = ("categorical", "sparse categorical", "binary", "course")


def _function_name(activation):
    return getattr(activation, "__name__", str(activation))


def _activation_of(layer):
    """The activation a layer applies, or None when it is not an activation."""
    name = type(layer).__name__
    if name == "Activation":
        return _function_name(layer.activation)
    return _ACTIVATION_LAYERS.get(name)


@dataclass
class ModelFacts:
    """What the checks need to know about a compiled single-output model."""

    model: object
    dense: list  # the Dense layers, the output layer last
    activations: dict  # Dense layer name -> the activation it is followed by
    trailing: list  # activation layers read into the output layer
    convolutional: list  # Conv / pooling / recurrent layers (not an MLP)
    other_layers: list  # layers the course's network does not have
    loss_kind: str
    from_logits: bool
    loss: object
    input_shape: tuple | None  # without the batch axis; None when not defined
    regularized: list = field(default_factory=list)  # layers with a kernel penalty

    @property
    def output(self):
        return self.dense[-1]

    @property
    def out_units(self):
        return int(self.output.units)

    @property
    def out_activation(self):
        return self.activations[self.output.name]

    def activation(self, layer):
        return self.activations[layer.name]


def _input_shape(model):
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        return None
    return tuple(inputs[0].shape[1:])


def read_model(model):
    """:class:`ModelFacts` of ``model``; ValueError for what cannot be read."""
    if not (getattr(model, "compiled", False) and model.loss is not None):
        raise ValueError(
            "The model is not compiled: call model.compile(optimizer=..., "
            "loss=...) as for training it, then diagnose it."
        )
    if isinstance(model.loss, list | tuple | dict):
        raise ValueError(
            "The model is compiled with several losses; the diagnosis reads "
            "models with one output."
        )
    layers = list(model.layers)
    dense, activations, trailing, convolutional, other = [], {}, [], [], []
    current = None
    for layer in layers:
        name = type(layer).__name__
        if isinstance(layer, keras.layers.Dense):
            current = layer
            dense.append(layer)
            activations[layer.name] = _function_name(layer.activation)
            trailing = []
            continue
        activation = _activation_of(layer)
        if activation is not None and current is not None:
            if activations[current.name] == "linear":
                activations[current.name] = activation
                trailing.append(layer)
            continue
        if name.startswith(
            (
                "Conv",
                "MaxPool",
                "AveragePool",
                "Global",
                "Depthwise",
                "Separable",
                "LSTM",
                "GRU",
                "SimpleRNN",
                "Embedding",
            )
        ):
            convolutional.append(layer)
            current = None
        elif name not in _NEUTRAL:
            other.append(layer)
            if name not in _PASS_THROUGH:
                current = None
    if not dense:
        raise ValueError(
            "The model has no Dense layer; the diagnosis reads classifiers "
            "whose output layer is Dense."
        )
    if layers.index(dense[-1]) < max(
        (layers.index(layer) for layer in convolutional), default=-1
    ):
        raise ValueError("The model's last weighted layer is not Dense.")
    kind, from_logits, loss = describe_loss(model.loss)
    regularized = [
        layer
        for layer in layers
        if getattr(layer, "kernel_regularizer", None) is not None
    ]
    return ModelFacts(
        model=model,
        dense=dense,
        activations=activations,
        trailing=[
            layer for layer in trailing if layers.index(layer) > layers.index(dense[-1])
        ],
        convolutional=convolutional,
        other_layers=other,
        loss_kind=kind,
        from_logits=from_logits,
        loss=loss,
        input_shape=_input_shape(model),
        regularized=regularized,
    )


@dataclass(frozen=True)
class Labels:
    """The labels as the author passes them to ``fit``."""

    y: np.ndarray
    one_hot: bool  # 2-D with more than one column
    classes: np.ndarray  # the distinct labels (column indices when one-hot)
    targets: np.ndarray  # each row's class, as an index into ``classes``

    @property
    def n_classes(self):
        return len(self.classes)

    @property
    def zero_based(self):
        """Integer labels 0..n-1 (what a sparse loss needs)."""
        return (
            not self.one_hot
            and np.issubdtype(self.classes.dtype, np.number)
            and np.array_equal(self.classes, np.arange(len(self.classes)))
        )


def read_labels(y, n_rows):
    """:class:`Labels` of ``y``; ValueError for what ``fit`` could not take."""
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != n_rows:
        raise ValueError(
            f"y has {0 if y.ndim == 0 else len(y)} rows but X has {n_rows}: pass "
            "the labels of X's rows, as to model.fit."
        )
    if y.ndim > 2:
        raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim == 2:
        if not np.all(np.isfinite(y.astype(np.float64))):
            raise ValueError("y contains NaN or infinity.")
        targets = np.argmax(y, axis=1)
        return Labels(y, True, np.arange(y.shape[1]), targets)
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinity.")
    classes, targets = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError("y has a single class; a classifier needs at least two.")
    return Labels(y, False, classes, targets)


def read_inputs(X, facts):
    """X as a float32 array of the shape the model takes; ValueError if not."""
    try:
        X = np.asarray(X, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"X must be a numeric array: {error}") from None
    if X.ndim < 2:
        raise ValueError(
            f"X must have one row per sample, got an array of shape {X.shape}."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinity.")
    expected = facts.input_shape
    if expected is not None:
        matches = len(expected) == X.ndim - 1 and all(
            e is None or e == d for e, d in zip(expected, X.shape[1:])
        )
        if not matches:
            raise ValueError(
                f"X has rows of shape {X.shape[1:]} but the model takes inputs "
                f"of shape {tuple(expected)}."
            )
    return X
