"""The Keras/TensorFlow backend: the same objective, by TensorFlow autodiff.

With the Keras helpers of :mod:`skdigits.course` (``skdigits._keras_course``),
the only module of skdigits that imports TensorFlow or Keras; it is itself
imported only by ``get_backend("keras")``, ``to_keras`` and those helpers, so
``import skdigits`` never loads them.

- :func:`make_objective`: the objective of :mod:`skdigits._backends._numpy`
  through TensorFlow autodiff. The optimizer driver runs every solver on it,
  the full-batch ones through SciPy and ``'sgd'`` / ``'adam'`` in its own
  minibatch loop, exactly as for the NumPy backend. One ``tf.function`` per
  network shape and dtype, with a fixed input signature, is traced once per
  process and shared by every fit; the data are arguments, not captured
  constants, so nothing grows from fit to fit.

  The minibatch solvers once trained natively with ``model.fit``. Measured on
  2 cores (AMD EPYC, AVX2), Adam with batch 200, seconds per epoch: at the
  course's shape (5000 x 400, 25 hidden units) the driver's loop took 0.39x
  the time of ``model.fit``, at 60000 x 784 with 100 hidden units 1.09x; and
  every network shape left a traced training model behind (about 2.6 MB each).
  So the driver's loop is the only one.
- The Keras building blocks shared with ``MLPDigitClassifier.to_keras`` and
  ``skdigits.course.build_keras_model``: :class:`CourseCrossEntropy`,
  :class:`ExactL2`, :func:`build_model`, and :func:`fitted_model` (the
  exporter, which takes arrays and settings, not the estimator).
"""

import functools

import keras
import numpy as np
import scipy.sparse as sp
import tensorflow as tf
from keras import ops

from skdigits._network import layer_shapes, pack, split
from skdigits._optimize import SGD

KERAS_ACTIVATIONS = {"logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
KERAS_OUTPUTS = {"logistic": "sigmoid", "softmax": "softmax"}
_TF_ACTIVATIONS = {"logistic": tf.sigmoid, "tanh": tf.tanh, "relu": tf.nn.relu}


# --------------------------------------------------------------- the objective


@functools.cache
def _loss_and_grad_function(n_layers, activation, out_activation, dtype, sparse):
    """One traced ``tf.function`` per depth, activations, dtype and input kind.

    Layer sizes are an argument (``shapes``, the ``(1 + n_in, n_out)`` block
    of each layer), not part of the trace: a search over many network widths
    traces once. (A trace per width kept about 2 MB of TensorFlow's memory per
    width, evicted from a cache or not.)
    """
    dtype = tf.as_dtype(dtype)
    hidden = _TF_ACTIVATIONS[activation]
    x_spec = (tf.SparseTensorSpec if sparse else tf.TensorSpec)([None, None], dtype)

    @tf.function(
        input_signature=[
            tf.TensorSpec([None], dtype),  # theta
            tf.TensorSpec([n_layers, 2], tf.int32),  # block shapes
            x_spec,  # X
            tf.TensorSpec([None, None], dtype),  # one-hot Y
            tf.TensorSpec([None], dtype),  # per-row weights of the data term
            tf.TensorSpec([], dtype),  # alpha / sum(sample_weight)
        ],
        autograph=False,
    )
    def loss_and_grad(theta, shapes, X, Y, w, alpha_over_total):
        with tf.GradientTape() as tape:
            tape.watch(theta)
            A, squares = X, []
            blocks = tf.split(theta, tf.reduce_prod(shapes, axis=1), num=n_layers)
            for i, block in enumerate(blocks):
                block = tf.reshape(block, shapes[i])
                W = block[1:]
                if i == 0 and sparse:
                    Z = tf.sparse.sparse_dense_matmul(A, W)
                else:
                    Z = tf.matmul(A, W)
                Z += block[0]
                A = hidden(Z) if i < n_layers - 1 else Z
                squares.append(tf.reduce_sum(tf.square(W)))
            if out_activation == "logistic":
                per_sample = tf.reduce_sum(
                    tf.nn.sigmoid_cross_entropy_with_logits(labels=Y, logits=A), axis=1
                )
            else:
                per_sample = tf.nn.softmax_cross_entropy_with_logits(labels=Y, logits=A)
            loss = tf.tensordot(w, per_sample, 1) + 0.5 * alpha_over_total * tf.add_n(
                squares
            )
        return loss, tape.gradient(loss, theta)

    return loss_and_grad


class KerasObjective:
    """The objective of :class:`~skdigits._backends._numpy.NumpyObjective`, by autodiff.

    ``J(theta) = sum_i s_i * l_i / sum_i s_i + alpha / (2 * sum_i s_i) * ||W||^2``,
    with the losses computed from the logits
    (``tf.nn.sigmoid_cross_entropy_with_logits`` summed over the output units,
    or ``tf.nn.softmax_cross_entropy_with_logits``) and the penalty factor in
    the dtype of ``X`` (not through Keras's L2 regularizer, whose factor is
    rounded to float32). Arithmetic is in the dtype of ``X``; the gradient is
    returned as float64 for SciPy. Calling it with ``rows`` gives the minibatch
    estimate: the data term over those rows scaled by ``n_samples / len(rows)``
    and the full penalty. Sparse ``X`` is multiplied as a ``tf.SparseTensor``;
    minibatches of it are densified.
    """

    def __init__(
        self, X, Y, sample_weight, *, alpha, layer_sizes, activation, out_activation
    ):
        self.dtype = np.dtype(X.dtype)
        total = float(np.sum(sample_weight, dtype=np.float64))
        self.n_samples = X.shape[0]
        # TensorFlow runs its own thread pool: no BLAS thread policy applies.
        self.multiply_adds = None
        self._X = X
        self._Y = np.asarray(Y, dtype=self.dtype)
        self._w = np.asarray(sample_weight, dtype=np.float64) / total
        self._alpha_over_total = tf.constant(alpha / total, dtype=self.dtype)
        self._shapes = tf.constant(layer_shapes(layer_sizes), dtype=tf.int32)
        key = (len(layer_sizes) - 1, activation, out_activation, self.dtype.name)
        self._dense_fn = _loss_and_grad_function(*key, False)
        self._sparse = sp.issparse(X)
        if self._sparse:
            coo = X.tocoo()
            self._full_X = tf.sparse.reorder(
                tf.SparseTensor(
                    np.column_stack([coo.row, coo.col]).astype(np.int64),
                    coo.data.astype(self.dtype),
                    coo.shape,
                )
            )
            self._full_fn = _loss_and_grad_function(*key, True)
        else:
            self._full_X = tf.constant(X)
            self._full_fn = self._dense_fn
        self._full_Y = tf.constant(self._Y)
        self._full_w = tf.constant(self._w.astype(self.dtype))

    def __call__(self, theta, rows=None):
        theta = tf.constant(np.asarray(theta, dtype=self.dtype))
        if rows is None:
            loss, grad = self._full_fn(
                theta,
                self._shapes,
                self._full_X,
                self._full_Y,
                self._full_w,
                self._alpha_over_total,
            )
        else:
            X = self._X[rows]
            if self._sparse:
                X = X.toarray()
            w = (self._w[rows] * (self.n_samples / len(rows))).astype(self.dtype)
            loss, grad = self._dense_fn(
                theta, self._shapes, X, self._Y[rows], w, self._alpha_over_total
            )
        return float(loss), grad.numpy().astype(np.float64)


# The backend interface: the objective's constructor has its signature.
make_objective = KerasObjective


# ---------------------------------------------------- Keras building blocks


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
    coefs, intercepts = split(np.asarray(theta), layer_sizes)
    for layer, W, b in zip(layers, coefs, intercepts):
        layer.kernel.assign(W.astype(layer.kernel.dtype))
        layer.bias.assign(b.astype(layer.bias.dtype))


def get_theta(model):
    """The network's weights as a flat float64 parameter vector."""
    layers = _dense_layers(model)
    return pack(
        [layer.kernel.numpy() for layer in layers],
        [layer.bias.numpy() for layer in layers],
        np.float64,
    )


# ------------------------------------------------------------------- export


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
    coefs, intercepts = split(theta, layer_sizes)
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
        theta=pack(coefs, intercepts, np.float64),
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
