"""Keras building blocks: the course's cross-entropy, an exact L2, the network.

Shared by ``MLPDigitClassifier.to_keras`` (:mod:`skdigits._keras.export`) and
:func:`skdigits.course.build_keras_model`.
"""

import keras
import numpy as np
from keras import ops

from skdigits._network import layer_copies, theta_from_layers

KERAS_ACTIVATIONS = {"logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
KERAS_OUTPUTS = {"logistic": "sigmoid", "softmax": "softmax"}


@keras.saving.register_keras_serializable(package="skdigits")
class CourseCrossEntropy(keras.losses.Loss):
    """Per-sample cross-entropy of the course, averaged over the batch.

    ``out_activation='logistic'``: the binary cross-entropy **summed** over the
    output units (Keras's ``binary_crossentropy`` averages it over them, which
    divides the data term by the number of classes). ``'softmax'``: the
    categorical cross-entropy. With ``from_logits=False`` the model's outputs
    are the sigmoid (softmax) activations; Keras's TensorFlow backend then
    computes the loss from the logits it caches on them, so saturated units do
    not lose precision.
    """

    def __init__(
        self,
        out_activation="logistic",
        from_logits=False,
        name="course_cross_entropy",
        reduction="sum_over_batch_size",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if out_activation not in KERAS_OUTPUTS:
            raise ValueError(
                f"out_activation must be one of {sorted(KERAS_OUTPUTS)}, got "
                f"{out_activation!r}."
            )
        self.out_activation = out_activation
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        if self.out_activation == "logistic":
            return ops.sum(
                ops.binary_crossentropy(y_true, y_pred, from_logits=self.from_logits),
                axis=-1,
            )
        return ops.categorical_crossentropy(
            y_true, y_pred, from_logits=self.from_logits
        )

    def get_config(self):
        return {
            **super().get_config(),
            "out_activation": self.out_activation,
            "from_logits": self.from_logits,
            "dtype": self.dtype,
        }


@keras.saving.register_keras_serializable(package="skdigits")
class ExactL2(keras.regularizers.L2):
    """``keras.regularizers.L2`` with the factor applied in the weights' dtype.

    Keras's ``L2`` rounds its factor to float32 before casting it to the
    weights' dtype, which shifts a float64 objective by about 1e-9 relative.
    """

    def __call__(self, x):
        return ops.sum(ops.square(x)) * ops.convert_to_tensor(self.l2, dtype=x.dtype)


def build_model(
    layer_sizes,
    *,
    activation,
    output,
    l2=None,
    dtype="float32",
    theta=None,
    model_class=None,
    name="skdigits_mlp",
):
    """A fully connected Keras network, weights from ``theta`` when given.

    ``output`` is the output layer's Keras activation (``'sigmoid'``,
    ``'softmax'`` or ``'linear'`` for logits); ``l2``, when given, the factor
    of an :class:`ExactL2` penalty on every kernel (biases are not penalised).
    The initializers are zeros: no Keras random number is drawn.
    """
    model_class = keras.Model if model_class is None else model_class
    inputs = keras.Input(shape=(layer_sizes[0],), dtype=dtype, name="pixels")
    x = inputs
    n_layers = len(layer_sizes) - 1
    for i, units in enumerate(layer_sizes[1:]):
        last = i == n_layers - 1
        x = keras.layers.Dense(
            units,
            activation=output if last else KERAS_ACTIVATIONS[activation],
            kernel_initializer="zeros",
            bias_initializer="zeros",
            kernel_regularizer=None if l2 is None else ExactL2(l2),
            dtype=dtype,
            name="output" if last else f"hidden_{i + 1}",
        )(x)
    model = model_class(inputs, x, name=name)
    if theta is not None:
        set_theta(model, theta)
    return model


def _dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def set_theta(model, theta):
    """Load a flat parameter vector into the network's Dense layers."""
    layers = _dense_layers(model)
    layer_sizes = [layers[0].kernel.shape[0], *(layer.units for layer in layers)]
    coefs, intercepts = layer_copies(np.asarray(theta), layer_sizes)
    for layer, W, b in zip(layers, coefs, intercepts):
        layer.kernel.assign(W.astype(layer.kernel.dtype))
        layer.bias.assign(b.astype(layer.bias.dtype))


def get_theta(model):
    """The network's weights as a flat float64 parameter vector."""
    layers = _dense_layers(model)
    return theta_from_layers(
        [layer.kernel.numpy() for layer in layers],
        [layer.bias.numpy() for layer in layers],
        np.float64,
    )
