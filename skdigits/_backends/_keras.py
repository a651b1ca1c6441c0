"""The Keras engine: the data term over a block of rows, by TensorFlow autodiff.

The same data term as the NumPy engine (:mod:`skdigits._backends._numpy`),
computed by TensorFlow: the per-sample cross-entropy from the logits
(``tf.nn.sigmoid_cross_entropy_with_logits`` summed over the output units, or
``tf.nn.softmax_cross_entropy_with_logits``), weighted and summed, and its
gradient. The penalty, the total weight and the blocks are the objective's
(:mod:`skdigits._backends`); the optimizer driver runs every solver on it, as
for the NumPy engine. This is the only module outside the Keras wing
(:mod:`skdigits._keras`) that imports TensorFlow.

One ``tf.function`` per network depth, activations, dtype and kind of input
(dense or sparse), with a fixed input signature, is traced once per process
and shared by every fit; the data and the layer sizes are arguments, not
captured constants, so nothing grows from fit to fit or from width to width.
TensorFlow runs its own thread pool, so blocks are not spread over Python
threads. Measurements are in benchmarks/RESULTS.md.
"""

import functools
import threading

import numpy as np
import scipy.sparse as sp
import tensorflow as tf

from skdigits._network import layer_shapes

_TF_ACTIVATIONS = {"logistic": tf.sigmoid, "tanh": tf.tanh, "relu": tf.nn.relu}


@functools.cache
def _data_term_function(n_layers, activation, out_activation, dtype, sparse):
    """One traced ``tf.function`` per depth, activations, dtype and kind of X.

    It maps ``(theta, shapes, X, Y, w)`` to one float64 vector: the weighted
    loss sum followed by its gradient. ``theta`` is float64 and cast to
    ``dtype``, in which all arithmetic runs. Layer sizes are an argument
    (``shapes``, the ``(1 + n_in, n_out)`` block of each layer), not part of
    the trace: a search over many network widths traces once.
    """
    dtype = tf.as_dtype(dtype)
    hidden = _TF_ACTIVATIONS[activation]
    signature = [
        tf.TensorSpec([None], tf.float64),  # theta
        tf.TensorSpec([n_layers, 2], tf.int32),  # block shapes
        (tf.SparseTensorSpec if sparse else tf.TensorSpec)([None, None], dtype),  # X
        tf.TensorSpec([None, None], dtype),  # one-hot Y
        tf.TensorSpec([None], dtype),  # per-row weights
    ]

    def data_term(theta, shapes, X, Y, w):
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
            loss = tf.tensordot(w, per_sample, 1)
        d_intercepts, d_coefs = tape.gradient(loss, [intercepts, coefs])
        grad = [
            tf.reshape(tf.concat([db[None], dW], axis=0), [-1])
            for db, dW in zip(d_intercepts, d_coefs)
        ]
        return tf.cast(tf.concat([loss[None], *grad], axis=0), tf.float64)

    # The concrete function itself: calling it skips the tf.function's
    # dispatch (benchmarks/RESULTS.md, "Design measurements").
    traced = tf.function(data_term, input_signature=signature, autograph=False)
    return traced.get_concrete_function()


def _sparse_tensor(X, dtype):
    coo = X.tocoo()
    return tf.sparse.reorder(
        tf.SparseTensor(
            np.column_stack([coo.row, coo.col]).astype(np.int64),
            coo.data.astype(dtype),
            coo.shape,
        )
    )


# TensorFlow's CPU kernels want tensor memory aligned to Eigen's largest
# vector (64 bytes with AVX-512); NumPy aligns large arrays to 16 bytes.
ALIGNMENT = 64


def aligned_empty(shape, dtype):
    """An uninitialised C-contiguous array at an ``ALIGNMENT``-byte address."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    return buffer[start : start + nbytes].view(dtype).reshape(shape)


class KerasEngine:
    """The data term of :class:`~skdigits._backends._numpy.NumpyEngine`, by autodiff.

    Arithmetic is in the engine's dtype; the gradient is returned as float64.
    A block of dense rows is handed to TensorFlow without a copy when it is
    aligned, C-contiguous and writeable (DLPack), otherwise through a reused
    aligned buffer of the block's shape (``tf.constant`` of a block took about
    ten times as long as copying it); a sparse block becomes a
    ``tf.SparseTensor``.
    """

    #: Rows per block of a full batch: the block's buffer, activations and
    #: their gradients take a few MB, not a share of the data.
    block_rows = 4096
    threadable = False

    def __init__(self, dtype, *, layer_sizes, activation, out_activation):
        self.dtype = np.dtype(dtype)
        self._shapes = tf.constant(layer_shapes(layer_sizes), dtype=tf.int32)
        self._key = (len(layer_sizes) - 1, activation, out_activation, self.dtype.name)
        self._buffers = {}

    def _dense_tensor(self, X):
        """A tensor over ``X``'s memory, or over a copy in an aligned buffer."""
        X = np.asarray(X)
        shared = (
            X.dtype == self.dtype
            and X.flags.c_contiguous
            and X.flags.writeable
            and X.ctypes.data % ALIGNMENT == 0
        )
        if not shared:
            # One buffer per shape and thread: a Dask worker's threads may
            # share this engine.
            key = (X.shape, threading.get_ident())
            if key not in self._buffers:
                self._buffers[key] = aligned_empty(X.shape, self.dtype)
            buffer = self._buffers[key]
            np.copyto(buffer, X)
            X = buffer
        return tf.experimental.dlpack.from_dlpack(X.__dlpack__())

    def __call__(self, theta, X, Y, w, out=None):
        sparse = sp.issparse(X)
        fn = _data_term_function(*self._key, sparse)
        X = _sparse_tensor(X, self.dtype) if sparse else self._dense_tensor(X)
        result = fn(
            tf.constant(np.asarray(theta, dtype=np.float64)),
            self._shapes,
            X,
            tf.constant(np.asarray(Y, dtype=self.dtype)),
            tf.constant(np.asarray(w, dtype=self.dtype)),
        ).numpy()
        if out is None:
            return float(result[0]), np.array(result[1:])
        out[...] = result[1:]
        return float(result[0]), out
