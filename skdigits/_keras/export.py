"""The exporter behind ``MLPDigitClassifier.to_keras``: arrays in, a compiled
Keras model out. It takes the fitted arrays and settings, never the estimator.
"""

import keras
import numpy as np
from keras import ops

from skdigits._keras.layers import (
    KERAS_OUTPUTS,
    CourseCrossEntropy,
    _dense_layers,
    build_model,
)
from skdigits._network import layer_copies, theta_from_layers
from skdigits._optimize import SGD


def _slots(optimizer, model, slot):
    """The optimizer's ``slot`` variables, in the order of the model's weights."""
    by_name = {v.name: v for v in optimizer.variables}
    names = [f"{v.path.replace('/', '_')}_{slot}" for v in model.trainable_variables]
    missing = [name for name in names if name not in by_name]
    if missing:  # pragma: no cover - depends on the Keras version
        raise RuntimeError(
            f"Cannot find the {slot} variables {missing} of the Keras optimizer "
            f"{optimizer.name!r}; this Keras version names them differently."
        )
    return [by_name[name] for name in names]


def _state_slots(optimizer):
    """``(state key, Keras slot name)`` pairs of the optimizer's moments."""
    if isinstance(optimizer, keras.optimizers.Adam):
        return [("m", "momentum"), ("v", "velocity")]
    return [("velocity", "momentum")] if optimizer.momentum else []


def _load_state(optimizer, model, state):
    """Reset the optimizer, then load moments in the NumPy loop's format."""
    for variable in optimizer.variables:
        variable.assign(ops.zeros(variable.shape, variable.dtype))
    state = state or {}
    for key, slot in _state_slots(optimizer):
        if key in state:
            values = np.asarray(state[key], dtype=np.float64)
            for variable, block in zip(
                _slots(optimizer, model, slot), _blocks(values, model)
            ):
                variable.assign(block.astype(variable.dtype))
    if isinstance(optimizer, keras.optimizers.Adam):
        optimizer.iterations.assign(int(state.get("t", 0)))


def _blocks(theta, model):
    """``theta`` as ``[kernel_0, bias_0, kernel_1, ...]`` for ``model``."""
    layers = _dense_layers(model)
    layer_sizes = [layers[0].kernel.shape[0], *(layer.units for layer in layers)]
    coefs, intercepts = layer_copies(theta, layer_sizes)
    return [a for pair in zip(coefs, intercepts) for a in pair]


def fitted_model(
    coefs, intercepts, *, activation, out_activation, l2, method, optimizer_state=None
):
    """A compiled Keras model holding a fitted network (behind ``to_keras``).

    ``coefs`` and ``intercepts`` are the estimator's arrays, ``l2`` the factor
    of the squared kernels in the objective, ``method`` the driver's
    :class:`~skdigits._optimize.SGD` or :class:`~skdigits._optimize.Adam`
    config, and ``optimizer_state`` its moments in the driver's format.
    """
    # Keras casts compiled losses to floatx(), and cannot add them to float64
    # penalties: the exported model computes in floatx() (float32 by default).
    dtype = keras.backend.floatx()
    layer_sizes = [coefs[0].shape[0], *(W.shape[1] for W in coefs)]
    model = build_model(
        layer_sizes,
        activation=activation,
        output=KERAS_OUTPUTS[out_activation],
        l2=l2,
        dtype=dtype,
        theta=theta_from_layers(coefs, intercepts, np.float64),
    )
    optimizer = _keras_optimizer(method)
    model.compile(
        optimizer=optimizer,
        loss=CourseCrossEntropy(out_activation, dtype=dtype),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
        jit_compile=False,
    )
    if optimizer_state:
        optimizer.build(model.trainable_variables)
        _load_state(optimizer, model, optimizer_state)
        optimizer.learning_rate = method.learning_rate
    return model


def _keras_optimizer(method):
    if isinstance(method, SGD):
        return keras.optimizers.SGD(
            method.learning_rate, momentum=method.momentum, nesterov=method.nesterov
        )
    return keras.optimizers.Adam(
        method.learning_rate,
        beta_1=method.beta_1,
        beta_2=method.beta_2,
        epsilon=method.epsilon,
    )
