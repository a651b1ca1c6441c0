"""The Keras/TensorFlow backend: the same objective, and native Keras training.

This is the only module of skdigits that imports TensorFlow or Keras; it is
itself imported only by ``get_backend("keras")`` (and by the Keras helpers of
``skdigits.course``), so ``import skdigits`` never loads them.

Two things live here:

- :func:`make_objective`: the objective of :mod:`skdigits._backends._numpy`
  through TensorFlow autodiff, for the scipy driver of the full-batch solvers
  (and the driver's minibatch loops). One ``tf.function`` per network shape and
  dtype, with a fixed input signature, is traced once per process and shared by
  every fit; the data are arguments, not captured constants, so nothing grows
  from fit to fit.
- :func:`fit_minibatch`: ``solver='sgd'`` / ``'adam'`` trained natively, a Keras
  model fitted with ``keras.optimizers.SGD`` / ``Adam`` and ``model.fit``. The
  estimator draws the initial weights and the shuffling order from its own
  ``random_state``, so Keras's global random state is neither read nor changed,
  and the minibatches are those of the NumPy backend, in the same order.

And the Keras building blocks shared with ``MLPDigitClassifier.to_keras`` and
``skdigits.course.build_keras_model``: :class:`CourseCrossEntropy`,
:class:`ExactL2` and :func:`build_model`.
"""

import collections
import functools
import math
import threading

import keras
import numpy as np
import scipy.sparse as sp
import tensorflow as tf
from keras import ops

from skdigits._network import layer_shapes, n_params, pack, split
from skdigits._optimize import OptimizeResult, _check_finite

KERAS_ACTIVATIONS = {"logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
KERAS_OUTPUTS = {"logistic": "sigmoid", "softmax": "softmax"}
_TF_ACTIVATIONS = {"logistic": tf.sigmoid, "tanh": tf.tanh, "relu": tf.nn.relu}


# --------------------------------------------------------------- the objective


@functools.lru_cache(maxsize=64)
def _loss_and_grad_function(layer_sizes, activation, out_activation, dtype, sparse):
    """One traced ``tf.function`` per network shape, dtype and input kind."""
    dtype = tf.as_dtype(dtype)
    shapes = layer_shapes(layer_sizes)
    sizes = [rows * cols for rows, cols in shapes]
    hidden = _TF_ACTIVATIONS[activation]
    x_spec = (tf.SparseTensorSpec if sparse else tf.TensorSpec)(
        [None, layer_sizes[0]], dtype
    )

    @tf.function(
        input_signature=[
            tf.TensorSpec([n_params(layer_sizes)], dtype),  # theta
            x_spec,  # X
            tf.TensorSpec([None, layer_sizes[-1]], dtype),  # one-hot Y
            tf.TensorSpec([None], dtype),  # per-row weights of the data term
            tf.TensorSpec([], dtype),  # alpha / sum(sample_weight)
        ],
        autograph=False,
    )
    def loss_and_grad(theta, X, Y, w, alpha_over_total):
        with tf.GradientTape() as tape:
            tape.watch(theta)
            A, squares = X, []
            for i, (block, shape) in enumerate(zip(tf.split(theta, sizes), shapes)):
                block = tf.reshape(block, shape)
                W = block[1:]
                if i == 0 and sparse:
                    Z = tf.sparse.sparse_dense_matmul(A, W)
                else:
                    Z = tf.matmul(A, W)
                Z += block[0]
                A = hidden(Z) if i < len(shapes) - 1 else Z
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
        self._X = X
        self._Y = np.asarray(Y, dtype=self.dtype)
        self._w = np.asarray(sample_weight, dtype=np.float64) / total
        self._alpha_over_total = tf.constant(alpha / total, dtype=self.dtype)
        key = (tuple(layer_sizes), activation, out_activation, self.dtype.name)
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
                theta, X, self._Y[rows], w, self._alpha_over_total
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


# ------------------------------------------------------------ native training


class _TrainingModel(keras.Model):
    """The network trained by :func:`fit_minibatch`, with the full objective.

    ``compute_loss`` adds ``penalty_factor * sum of squared kernels`` to the
    compiled loss. The factor is a variable, set for every fit, so a model can
    be reused across fits (and data sets) without retracing its training step.
    Keras casts a compiled loss and its ``loss`` metric to ``floatx``
    (float32); the loss curve is read from the ``objective`` metric instead,
    kept in the model's dtype: the objective averaged over the epoch's
    minibatches, weighted by their size, as in the NumPy loop.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        dtype = self.inputs[0].dtype
        self.penalty_factor = keras.Variable(
            0.0, dtype=dtype, trainable=False, name="penalty_factor"
        )
        self.objective_tracker = keras.metrics.Mean(name="objective", dtype=dtype)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        squares = [ops.sum(ops.square(layer.kernel)) for layer in _dense_layers(self)]
        loss = self.loss(y, y_pred, sample_weight)
        loss = loss + self.penalty_factor * ops.sum(ops.stack(squares))
        self.objective_tracker.update_state(loss, sample_weight=ops.shape(y)[0])
        return loss

    @property
    def metrics(self):
        return [*super().metrics, self.objective_tracker]


# Compiled training models, per thread, reused by fits of the same network
# and optimizer. A model traces its training step once; building a fresh model
# for every fit costs about a second and leaves about 2 MB in TensorFlow's
# runtime even after keras.backend.clear_session().
_TRAINERS = threading.local()
_MAX_TRAINERS = 8


def _trainer(layer_sizes, activation, out_activation, dtype, optimizer_config):
    cache = getattr(_TRAINERS, "models", None)
    if cache is None:
        cache = _TRAINERS.models = collections.OrderedDict()
    key = (tuple(layer_sizes), activation, out_activation, dtype, optimizer_config)
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    solver, *hyper = optimizer_config
    if solver == "adam":
        beta_1, beta_2, epsilon = hyper
        optimizer = keras.optimizers.Adam(beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    else:
        momentum, nesterov = hyper
        optimizer = keras.optimizers.SGD(momentum=momentum, nesterov=nesterov)
    model = build_model(
        layer_sizes,
        activation=activation,
        output="linear",
        dtype=dtype,
        model_class=_TrainingModel,
    )
    model.compile(
        optimizer=optimizer,
        loss=CourseCrossEntropy(out_activation, from_logits=True, dtype=dtype),
        jit_compile=False,
    )
    optimizer.build(model.trainable_variables)
    cache[key] = model
    while len(cache) > _MAX_TRAINERS:
        cache.popitem(last=False)
    return model


class _EpochMonitor(keras.callbacks.Callback):
    """Reports every epoch to ``on_iteration`` and applies the tol test."""

    def __init__(self, on_iteration, tol, n_iter_no_change):
        super().__init__()
        self.on_iteration = on_iteration
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.best_loss, self.n_stall = np.inf, 0
        self.n_epochs, self.loss, self.theta, self.status = 0, None, None, "max_iter"

    def on_epoch_end(self, epoch, logs=None):
        loss = float(logs["objective"])
        theta = get_theta(self.model)
        _check_finite(loss, theta)
        self.n_epochs, self.loss, self.theta = epoch + 1, loss, theta
        if self.on_iteration(theta, loss):
            self.status = "stopped"
        elif self.n_iter_no_change is not None:
            self.n_stall = self.n_stall + 1 if loss > self.best_loss - self.tol else 0
            self.best_loss = min(self.best_loss, loss)
            if self.n_stall >= self.n_iter_no_change:
                self.status = "converged"
        if self.status != "max_iter":
            self.model.stop_training = True


def _epoch_orders(n, n_epochs, shuffle, random_state):
    """Row orders of the next ``n_epochs`` epochs, shuffled as in the NumPy loop.

    The NumPy loop shuffles one order array in place every epoch; drawing the
    same shuffles here gives both backends the same minibatches in the same
    order, from the estimator's ``random_state`` alone.
    """
    order = np.arange(n, dtype=np.int64)
    orders = np.empty((n_epochs, n), dtype=np.int64)
    for epoch in range(n_epochs):
        if shuffle:
            random_state.shuffle(order)
        orders[epoch] = order
    return orders


def _minibatches(X, Y, w, orders, batch_size):
    """A ``tf.data.Dataset`` of the ``(X, Y, w)`` minibatches of ``orders``.

    Batches never straddle two epochs. The rows are gathered by TensorFlow from
    tensors holding the whole data set once; sparse ``X`` is held as ragged
    rows and densified per batch.
    """
    n_epochs, n = orders.shape
    stops = np.append(np.arange(batch_size, n, batch_size), n)
    limits = (stops[None, :] + n * np.arange(n_epochs)[:, None]).ravel()
    batches = tf.RaggedTensor.from_row_limits(orders.ravel(), limits, validate=False)
    n_features = X.shape[1]
    if sp.issparse(X):
        X = X.tocsr()
        splits = X.indptr.astype(np.int64)
        data = (
            tf.RaggedTensor.from_row_splits(X.indices.astype(np.int64), splits),
            tf.RaggedTensor.from_row_splits(X.data, splits),
        )

        def rows_of_X(data, rows):
            cols, values = tf.gather(data[0], rows), tf.gather(data[1], rows)
            where = tf.stack([cols.value_rowids(), cols.flat_values], axis=1)
            shape = tf.stack([tf.size(rows, out_type=tf.int64), n_features])
            return tf.scatter_nd(where, values.flat_values, shape)

    else:
        data = tf.constant(X)
        rows_of_X = tf.gather

    def take(rows, data):
        X, Y, w = data
        return rows_of_X(X, rows), tf.gather(Y, rows), tf.gather(w, rows)

    whole = tf.data.Dataset.from_tensors((data, tf.constant(Y), tf.constant(w)))
    return tf.data.Dataset.zip(
        tf.data.Dataset.from_tensor_slices(batches), whole.repeat()
    ).map(take)


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


def _state_slots(optimizer, solver):
    """``(state key, Keras slot name)`` pairs of the optimizer's moments."""
    if solver == "adam":
        return [("m", "momentum"), ("v", "velocity")]
    return [("velocity", "momentum")] if optimizer.momentum else []


def _load_state(optimizer, model, solver, state):
    """Reset the optimizer, then load moments in the NumPy loop's format."""
    for variable in optimizer.variables:
        variable.assign(ops.zeros(variable.shape, variable.dtype))
    state = state or {}
    for key, slot in _state_slots(optimizer, solver):
        if key in state:
            values = np.asarray(state[key], dtype=np.float64)
            for variable, block in zip(
                _slots(optimizer, model, slot), _blocks(values, model)
            ):
                variable.assign(block.astype(variable.dtype))
    if solver == "adam":
        optimizer.iterations.assign(int(state.get("t", 0)))


def _blocks(theta, model):
    """``theta`` as ``[kernel_0, bias_0, kernel_1, ...]`` for ``model``."""
    layers = _dense_layers(model)
    layer_sizes = [layers[0].kernel.shape[0], *(layer.units for layer in layers)]
    coefs, intercepts = split(theta, layer_sizes)
    return [a for pair in zip(coefs, intercepts) for a in pair]


def _dump_state(optimizer, model, solver):
    """The optimizer's moments in the NumPy loop's format."""
    state = {}
    for key, slot in _state_slots(optimizer, solver):
        values = [v.numpy() for v in _slots(optimizer, model, slot)]
        state[key] = pack(values[0::2], values[1::2], np.float64)
    if solver == "adam":
        state["t"] = int(optimizer.iterations.numpy())
    return state


def fit_minibatch(
    X,
    Y,
    sample_weight,
    theta0,
    *,
    alpha,
    layer_sizes,
    activation,
    out_activation,
    solver,
    batch_size,
    learning_rate,
    max_iter,
    tol,
    n_iter_no_change,
    shuffle,
    random_state,
    on_iteration,
    momentum=0.9,
    nesterovs_momentum=True,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-8,
    state=None,
):
    """Train the minibatch solvers natively with ``model.fit``.

    A Keras model with the estimator's architecture and logits outputs is
    fitted with ``keras.optimizers.SGD`` (``momentum``, ``nesterov``) or
    ``Adam`` (``beta_1``, ``beta_2``, ``epsilon``) for ``max_iter`` epochs of
    ``batch_size`` rows. Its loss is :class:`CourseCrossEntropy` from the
    logits, each row weighted by ``s_i * n / sum(s)``, plus
    ``alpha / (2 * sum(s))`` times the squared kernels: every step descends the
    same minibatch estimate of the objective as the NumPy loop, on the same
    minibatches (see :func:`_minibatches`). The weights start from ``theta0``.

    ``state`` and the returned ``OptimizeResult.state`` hold the optimizer's
    moments as NumPy arrays in the NumPy loop's format (``velocity``; ``m``,
    ``v``, ``t``), so ``partial_fit`` and warm starts continue with the
    optimizer's state, and either backend can pick up the other's.

    Returns an :class:`~skdigits._optimize.OptimizeResult` whose status follows
    :func:`~skdigits._optimize.minimize_minibatch`.
    """
    dtype = np.dtype(X.dtype)
    n = X.shape[0]
    total = float(np.sum(sample_weight, dtype=np.float64))
    w = (np.asarray(sample_weight, dtype=np.float64) * (n / total)).astype(dtype)
    if solver == "adam":
        optimizer_config = ("adam", float(beta_1), float(beta_2), float(epsilon))
    else:
        optimizer_config = ("sgd", float(momentum), bool(nesterovs_momentum))
    model = _trainer(
        layer_sizes, activation, out_activation, dtype.name, optimizer_config
    )
    set_theta(model, theta0)
    model.penalty_factor.assign(alpha / (2 * total))
    _load_state(model.optimizer, model, solver, state)
    model.optimizer.learning_rate = learning_rate
    monitor = _EpochMonitor(on_iteration, tol, n_iter_no_change)
    Y = np.asarray(Y, dtype=dtype)
    batch_size = min(batch_size, n)
    # The epochs' row orders are drawn in chunks of about 2**22 indices.
    chunk = max(1, 2**22 // n)
    for first in range(0, max_iter, chunk):
        n_epochs = min(chunk, max_iter - first)
        orders = _epoch_orders(n, n_epochs, shuffle, random_state)
        model.fit(
            _minibatches(X, Y, w, orders, batch_size),
            initial_epoch=first,
            epochs=first + n_epochs,
            steps_per_epoch=math.ceil(n / batch_size),
            shuffle=False,
            verbose=0,
            callbacks=[monitor],
        )
        if monitor.status != "max_iter":
            break
    return OptimizeResult(
        monitor.theta,
        monitor.loss,
        monitor.n_epochs,
        monitor.status,
        state=_dump_state(model.optimizer, model, solver),
    )


# ------------------------------------------------------------------- export


def fitted_model(estimator):
    """The compiled Keras model of a fitted ``MLPDigitClassifier`` (``to_keras``)."""
    coefs, intercepts = estimator.coefs_, estimator.intercepts_
    # Keras casts compiled losses to floatx(), and cannot add them to float64
    # penalties: the exported model computes in floatx() (float32 by default).
    dtype = keras.backend.floatx()
    layer_sizes = [coefs[0].shape[0], *(W.shape[1] for W in coefs)]
    out_activation = estimator.out_activation_
    model = build_model(
        layer_sizes,
        activation=estimator.activation,
        output=KERAS_OUTPUTS[out_activation],
        l2=estimator.alpha / (2 * estimator._sample_weight_sum),
        dtype=dtype,
        theta=pack(coefs, intercepts, np.float64),
    )
    solver = estimator.solver
    if solver == "sgd":
        optimizer = keras.optimizers.SGD(
            estimator.learning_rate_init,
            momentum=estimator.momentum,
            nesterov=estimator.nesterovs_momentum,
        )
    else:
        optimizer = keras.optimizers.Adam(
            estimator.learning_rate_init,
            beta_1=estimator.beta_1,
            beta_2=estimator.beta_2,
            epsilon=estimator.epsilon,
        )
    model.compile(
        optimizer=optimizer,
        loss=CourseCrossEntropy(out_activation, dtype=dtype),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
        jit_compile=False,
    )
    state = getattr(estimator, "_optimizer_state", None)
    if solver in ("sgd", "adam") and state:
        optimizer.build(model.trainable_variables)
        _load_state(optimizer, model, solver, state)
        optimizer.learning_rate = estimator.learning_rate_init
    return model
