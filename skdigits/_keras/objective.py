"""The Keras backend's objective: the NumPy objective by TensorFlow autodiff.

The optimizer driver runs every solver on it, the full-batch ones through
SciPy and ``'sgd'`` / ``'adam'`` in its own minibatch loop, exactly as for the
NumPy backend. One ``tf.function`` per network depth and dtype, with a fixed
input signature, is traced once per process and shared by every fit; the data
and the layer sizes are arguments, not captured constants, so nothing grows
from fit to fit or from width to width.

The minibatch solvers once trained natively with ``model.fit``. Measured on 2
cores (AMD EPYC), Adam with batch 200, seconds per epoch: at the
course's shape (5000 x 400, 25 hidden units) the driver's loop took 0.39x the
time of ``model.fit``, at 60000 x 784 with 100 hidden units 1.09x; and every
network shape left a traced training model behind (338 MB over 120 shapes, as
reported in the issue that removed it). So the driver's loop is the only one.
"""

import functools

import numpy as np
import scipy.sparse as sp
import tensorflow as tf

from skdigits._network import layer_shapes

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
