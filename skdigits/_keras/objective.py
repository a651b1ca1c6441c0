"""The Keras backend's objective: the NumPy objective by TensorFlow autodiff.

The optimizer driver runs every solver on it, the full-batch ones through SciPy
and ``'sgd'`` / ``'adam'`` in its own minibatch loop, exactly as for the NumPy
backend. One ``tf.function`` per network depth, dtype and kind of call (the
whole sparse data, blocks of rows of the dense data for the full batch, chosen
rows of it for a minibatch), with a fixed input signature, is traced once per
process and shared by every fit; the data and the layer sizes are arguments,
not captured constants, so nothing grows from fit to fit or from width to
width.

Dense data is held once on the TensorFlow side, as a tensor sharing memory with
a 64-byte aligned array (the caller's own when it is aligned, C-contiguous and
writeable, as the canonical copy of a full-batch fit is; otherwise one copy):
a minibatch is gathered inside the function from the row indices, so a step
converts only ``theta`` and the indices.
(``tf.constant`` of the array instead peaks at twice its size.) The loss and
the gradient come back as one float64 tensor.

Measured on 2 cores (AMD EPYC) shared with other jobs (load 2.4),
60000 x 784 float32, 100 hidden units, Adam with batch 200, one minibatch step
(the objective's call and the driver's NumPy Adam update, 3.8 ms): 43% the
gather and the five matrix products, 21% the function's other operations, 7%
calling the traced function, 3% converting ``theta`` and the rows, 8% the Adam
update. Against the previous objective (NumPy gather, a ``tf.constant`` of the
data, slices of ``theta`` differentiated, the ``tf.function`` dispatch), fits
measured interleaved: 0.79x the time per Adam epoch, the same per L-BFGS
iteration (1.03x), and 0.91x and 0.71x (two runs) the time of a plain Keras
model's ``model.fit`` per epoch (``benchmarks/bench_scale.py``'s fits).

The minibatch solvers once trained natively with ``model.fit``: at the course's
shape (5000 x 400, 25 hidden units) the driver's loop took 0.39x the time of
``model.fit``, at 60000 x 784 with 100 hidden units 1.09x; and every network
shape left a traced training model behind (338 MB over 120 shapes, as reported
in the issue that removed it). So the driver's loop is the only one.
"""

import functools

import numpy as np
import scipy.sparse as sp
import tensorflow as tf

from skdigits._canonical import ALIGNMENT, aligned_empty
from skdigits._network import layer_shapes

_TF_ACTIVATIONS = {"logistic": tf.sigmoid, "tanh": tf.tanh, "relu": tf.nn.relu}

# Full-batch evaluations of dense data run over blocks of this many rows (a
# multiple of 16, so that every block starts 64-byte aligned and is a view):
# the activations and their gradients then take a few MB, not a multiple of
# X's size. Measured at 60000 x 784 float32 with 100 hidden units: 17 MB of
# temporaries instead of 66 MB, in the same time per evaluation (blocks of
# 8192 rows took 1.18x).
_BLOCK_ROWS = 16384


# --------------------------------------------------------------- the objective


@functools.cache
def _loss_and_grad_function(n_layers, activation, out_activation, dtype, kind):
    """One traced ``tf.function`` per depth, activations, dtype and kind.

    It maps ``(theta, shapes, X, Y, w, alpha_over_total[, rows])`` to one
    float64 vector, the loss followed by the gradient. ``theta`` is float64
    and cast to ``dtype``, in which all arithmetic runs. Layer sizes are an
    argument (``shapes``, the ``(1 + n_in, n_out)`` block of each layer), not
    part of the trace: a search over many network widths traces once. (A trace
    per width kept about 2 MB of TensorFlow's memory per width, evicted from a
    cache or not. ``kind`` is ``'dense'`` or ``'sparse'`` (the data term over
    all of ``X``), ``'rows'`` (over ``X[rows]``, gathered inside, the weights
    ``w[rows]`` scaled by ``len(w) / len(rows)``) or ``'block'`` (over
    ``X[start:stop]``, a view, for ``rows = (start, stop)``).
    """
    dtype = tf.as_dtype(dtype)
    hidden = _TF_ACTIVATIONS[activation]
    sparse = kind == "sparse"
    signature = [
        tf.TensorSpec([None], tf.float64),  # theta
        tf.TensorSpec([n_layers, 2], tf.int32),  # block shapes
        (tf.SparseTensorSpec if sparse else tf.TensorSpec)([None, None], dtype),  # X
        tf.TensorSpec([None, None], dtype),  # one-hot Y
        tf.TensorSpec([None], dtype),  # per-row weights of the data term
        tf.TensorSpec([], dtype),  # alpha / sum(sample_weight)
    ]
    if kind in ("rows", "block"):
        signature.append(tf.TensorSpec([None], tf.int64))

    def loss_and_grad(theta, shapes, X, Y, w, alpha_over_total, rows):
        if kind == "block":
            X, Y, w = X[rows[0] : rows[1]], Y[rows[0] : rows[1]], w[rows[0] : rows[1]]
        elif kind == "rows":
            X, Y = tf.gather(X, rows), tf.gather(Y, rows)
            scale = tf.cast(tf.size(w), dtype) / tf.cast(tf.size(rows), dtype)
            w = tf.gather(w, rows) * scale
        theta = tf.cast(theta, dtype)
        blocks = tf.split(theta, tf.reduce_prod(shapes, axis=1), num=n_layers)
        blocks = [tf.reshape(block, shapes[i]) for i, block in enumerate(blocks)]
        # Differentiate by the intercepts and coefficients themselves: the
        # gradient of slicing them out of theta would scatter into zeros.
        intercepts = [block[0] for block in blocks]
        coefs = [block[1:] for block in blocks]
        with tf.GradientTape() as tape:
            tape.watch(intercepts + coefs)
            A = X
            for i, (b, W) in enumerate(zip(intercepts, coefs)):
                if i == 0 and sparse:
                    Z = tf.sparse.sparse_dense_matmul(A, W)
                else:
                    Z = tf.matmul(A, W)
                Z = Z + b
                A = hidden(Z) if i < n_layers - 1 else Z
            if out_activation == "logistic":
                per_sample = tf.reduce_sum(
                    tf.nn.sigmoid_cross_entropy_with_logits(labels=Y, logits=A), axis=1
                )
            else:
                per_sample = tf.nn.softmax_cross_entropy_with_logits(labels=Y, logits=A)
            squares = tf.add_n([tf.reduce_sum(tf.square(W)) for W in coefs])
            loss = tf.tensordot(w, per_sample, 1) + 0.5 * alpha_over_total * squares
        d_intercepts, d_coefs = tape.gradient(loss, [intercepts, coefs])
        grad = [
            tf.reshape(tf.concat([db[None], dW], axis=0), [-1])
            for db, dW in zip(d_intercepts, d_coefs)
        ]
        return tf.cast(tf.concat([loss[None], *grad], axis=0), tf.float64)

    if kind in ("rows", "block"):
        traced = loss_and_grad
    else:

        def traced(theta, shapes, X, Y, w, alpha_over_total):
            return loss_and_grad(theta, shapes, X, Y, w, alpha_over_total, None)

    return tf.function(traced, input_signature=signature, autograph=False)


def _aligned(X, dtype):
    """``X`` as a C-contiguous, writeable ``dtype`` array at a 64-byte aligned
    address: ``X`` itself when it is one, otherwise a copy."""
    X = np.asarray(X)
    if (
        X.dtype == dtype
        and X.flags.c_contiguous
        and X.flags.writeable
        and X.ctypes.data % ALIGNMENT == 0
    ):
        return X
    out = aligned_empty(X.shape, dtype)
    out[...] = X
    return out


def _shared_tensor(X, dtype):
    """A tensor over the memory of ``_aligned(X, dtype)``, no copy on the
    TensorFlow side (DLPack); the tensor keeps that array alive."""
    return tf.experimental.dlpack.from_dlpack(_aligned(X, dtype).__dlpack__())


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
        self._alpha_over_total = tf.constant(alpha / total, dtype=self.dtype)
        self._shapes = tf.constant(layer_shapes(layer_sizes), dtype=tf.int32)
        w = np.asarray(sample_weight, dtype=np.float64) / total
        self._Y = tf.constant(np.asarray(Y, dtype=self.dtype))
        self._w = tf.constant(w.astype(self.dtype))
        key = (len(layer_sizes) - 1, activation, out_activation, self.dtype.name)
        self._sparse = sp.issparse(X)
        if self._sparse:
            coo = X.tocoo()
            self._X = tf.sparse.reorder(
                tf.SparseTensor(
                    np.column_stack([coo.row, coo.col]).astype(np.int64),
                    coo.data.astype(self.dtype),
                    coo.shape,
                )
            )
            # Minibatches: rows of the CSR matrix, densified, in NumPy.
            self._csr, self._Y_rows, self._w_rows = X.tocsr(), np.asarray(Y), w
            self._full_fn = _loss_and_grad_function(*key, "sparse")
            self._batch_fn = _loss_and_grad_function(*key, "dense")
        else:
            self._X = _shared_tensor(X, self.dtype)
            self._full_fn = _loss_and_grad_function(*key, "block")
            self._batch_fn = _loss_and_grad_function(*key, "rows")
            # Full batch: the data term block by block; the penalty once.
            starts = range(0, max(self.n_samples, 1), _BLOCK_ROWS)
            self._blocks = [
                tf.constant([a, min(a + _BLOCK_ROWS, self.n_samples)], tf.int64)
                for a in starts
            ]
            self._no_penalty = tf.constant(0.0, dtype=self.dtype)
        # The traced functions themselves, fetched (traced) on first use: calling
        # them skips the tf.function's dispatch, measured at about 15% of a
        # minibatch step.
        self._traced = {}

    def _call(self, fn, *args):
        if fn not in self._traced:
            self._traced[fn] = fn.get_concrete_function()
        return self._traced[fn](*args)

    def __call__(self, theta, rows=None):
        theta = tf.constant(np.asarray(theta, dtype=np.float64))
        args = (theta, self._shapes)
        if rows is None and self._sparse:
            out = self._call(
                self._full_fn, *args, self._X, self._Y, self._w, self._alpha_over_total
            )
        elif rows is None:
            out = 0.0
            for i, block in enumerate(self._blocks):
                penalty = self._no_penalty if i else self._alpha_over_total
                part = self._call(
                    self._full_fn, *args, self._X, self._Y, self._w, penalty, block
                )
                out += part.numpy()
            return float(out[0]), out[1:]
        elif self._sparse:
            w = self._w_rows[rows] * (self.n_samples / len(rows))
            out = self._call(
                self._batch_fn,
                *args,
                self._csr[rows].toarray().astype(self.dtype, copy=False),
                self._Y_rows[rows].astype(self.dtype),
                w.astype(self.dtype),
                self._alpha_over_total,
            )
        else:
            rows = tf.constant(np.asarray(rows, dtype=np.int64))
            out = self._call(
                self._batch_fn,
                *args,
                self._X,
                self._Y,
                self._w,
                self._alpha_over_total,
                rows,
            )
        out = out.numpy()
        return float(out[0]), out[1:]


# The backend interface: the objective's constructor has its signature.
make_objective = KerasObjective
