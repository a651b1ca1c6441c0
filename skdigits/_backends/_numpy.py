"""The NumPy backprop engine: loss and gradient as a function of ``theta``.

Layout
------
Samples run along the columns: every activation, error and work array has shape
``(n_units, n_samples)``. Dense input is used as given, ``(n_samples,
n_features)`` and C-contiguous (no copy): the first layer's forward product
reads it transposed, ``W0.T @ X.T``, its intercepts are added after the
product and their gradient is a row sum of the errors. Sparse input gets a
leading column of ones instead. With that layout

- a hidden layer's block of ``theta`` (shape ``(1 + n_in, n_out)``, intercepts
  in row 0) enters its forward product as ``block.T @ A1``: hidden activations
  keep a leading row of ones, so the intercepts ride in the same matrix
  product as the weights, and so does the intercepts' gradient in
  ``(D @ A1.T).T``;
- OpenBLAS runs these short-and-wide float64 products (``n_out`` rows,
  ``n_samples`` columns) in about a third less time than the tall-and-thin ones
  of the row layout that scikit-learn's MLP uses; in float32 the two layouts
  run about as fast (``benchmarks/bench_engine.py`` times both);
- the element-wise work runs on contiguous blocks with kernels built on NumPy's
  SIMD ``exp`` and ``log``; ``scipy.special.expit`` and ``np.logaddexp`` are
  scalar loops, 4-7 times slower at the course's shapes.

Work arrays are allocated once per batch size (and Python thread) and reused;
arithmetic is done in the dtype of ``X`` (float32 end to end for float32 data),
and the gradient is summed into a new float64 vector for SciPy. A dense full
batch runs in blocks of rows of equal sizes, spread over Python threads when
the driver allows more than one BLAS thread, with the same result bit for bit
on any number of threads; a minibatch runs on one thread.
"""

import collections
import threading

import numpy as np
import scipy.sparse as sp

from skdigits._network import layer_shapes, n_params, unpack
from skdigits._threads import blas_threads_in_force, blas_worker_pool

# ---------------------------------------------------------------- kernels
# All kernels work in place on arrays of shape (n_units, n_samples); ``tmp`` is
# a work array of the same shape.


def _sigmoid(Z):
    # 1 / (1 + exp(-z)): within 2 ulp of scipy's expit and 4x faster (SIMD exp).
    # exp(-z) overflows to inf for z < -709, giving the correct limit 0.
    np.negative(Z, out=Z)
    np.exp(Z, out=Z)
    np.add(Z, 1, out=Z)
    np.divide(1, Z, out=Z)


def _tanh(Z):
    np.tanh(Z, out=Z)


def _relu(Z):
    np.maximum(Z, 0, out=Z)


def _sigmoid_derivative(A, D, tmp):
    np.subtract(1, A, out=tmp)
    np.multiply(tmp, A, out=tmp)
    np.multiply(D, tmp, out=D)


def _tanh_derivative(A, D, tmp):
    np.multiply(A, A, out=tmp)
    np.subtract(1, tmp, out=tmp)
    np.multiply(D, tmp, out=D)


def _relu_derivative(A, D, tmp):
    np.copyto(D, 0, where=A <= 0)


# The engine's one activation table: for each name of
# skdigits._network.HIDDEN_ACTIVATIONS, the activation (in place on Z) and its
# derivative (multiplies the errors D in place, from the activations A).
_HIDDEN = {
    "logistic": (_sigmoid, _sigmoid_derivative),
    "tanh": (_tanh, _tanh_derivative),
    "relu": (_relu, _relu_derivative),
}


def _logistic_output(Z, YT, D, tmp):
    """Sigmoid outputs with the binary cross-entropy summed over the units.

    Writes ``sigmoid(Z) - Y`` (the gradient with respect to the logits) into
    ``D`` and returns the per-element losses ``softplus(z) - y z``, computed in
    ``Z`` (overwritten) as ``max(z, 0) - y z - log(max(p, 1 - p))`` with
    ``p = sigmoid(z)``: exact in both limits (no ``log(0)`` however large the
    logits), within a few ulp of the largest term, and much cheaper than
    ``np.logaddexp``. ``tmp`` is a work array of the same shape.
    """
    np.copyto(D, Z)
    _sigmoid(D)
    np.multiply(YT, Z, out=tmp)
    np.maximum(Z, 0, out=Z)
    np.subtract(Z, tmp, out=Z)
    np.subtract(1, D, out=tmp)
    np.maximum(tmp, D, out=tmp)
    np.log(tmp, out=tmp)
    np.subtract(Z, tmp, out=Z)
    np.subtract(D, YT, out=D)
    return Z


def _softmax_output(Z, YT, D, tmp):
    """Softmax outputs with the categorical cross-entropy.

    Writes ``softmax(Z) - Y`` into ``D`` and returns the per-sample losses
    ``logsumexp(z) * sum(y) - y . z``. ``tmp`` is a work array.
    """
    shift = Z.max(axis=0)
    np.subtract(Z, shift, out=D)
    np.exp(D, out=D)
    total = D.sum(axis=0)
    np.divide(D, total, out=D)
    lse = np.log(total, out=total)
    lse += shift
    np.multiply(YT, Z, out=tmp)
    per_sample = lse * YT.sum(axis=0)
    per_sample -= tmp.sum(axis=0)
    np.subtract(D, YT, out=D)
    return per_sample


_OUTPUTS = {"logistic": _logistic_output, "softmax": _softmax_output}


def _add_transposed(grads, GTs):
    """Add the transposed gradient blocks ``GTs`` to the float64 ``grads``."""
    for G, GT in zip(grads, GTs):
        G += GT.T


# A full-batch evaluation of dense data runs over blocks of at most this many
# rows, so that its activations and errors (one set per thread) stay a small
# fraction of the data. At 60000 x 784 float32 with 100 hidden units, blocks of
# 2048 rows took the time of blocks of 4096 (within 2%, 1 and 2 threads), and
# an evaluation on two threads peaked at 6.7 MB of allocations instead of 11.7.
_BLOCK_ROWS = 2048


class NumpyObjective:
    """Regularised cross-entropy of a fully connected network and its gradient.

    The objective is

    ``J(theta) = sum_i s_i * l_i / sum_i s_i + alpha / (2 * sum_i s_i) * ||W||^2``

    where ``l_i`` is sample ``i``'s cross-entropy (summed binary cross-entropy
    over the output units for ``'logistic'`` outputs, categorical cross-entropy
    for ``'softmax'``), ``s_i`` its weight and ``||W||^2`` the sum of the squared
    non-bias weights. Losses are computed from the logits, so no activation
    saturates into ``log(0)``.

    Calling the object with ``rows`` evaluates an unbiased minibatch estimate of
    the same objective: the data term over those rows, scaled by
    ``n_samples / len(rows)``, and the full penalty.

    Arithmetic is done in the dtype of ``X``; the gradient is returned as a new
    float64 vector (SciPy's optimizers keep references to it).

    Attributes
    ----------
    multiply_adds : int
        Multiply-adds of the matrix products of one full-batch evaluation; the
        optimizer driver uses it to choose the number of BLAS threads.
    """

    def __init__(
        self, X, Y, sample_weight, *, alpha, layer_sizes, activation, out_activation
    ):
        self.dtype = np.dtype(X.dtype)
        self.layer_sizes = list(layer_sizes)
        self.activation = activation
        self.out_activation = out_activation
        self.n_samples = n = X.shape[0]
        total = float(np.sum(sample_weight, dtype=np.float64))
        self._w = (np.asarray(sample_weight, dtype=np.float64) / total).astype(
            self.dtype
        )
        self._alpha_over_total = alpha / total
        self._sparse = sp.issparse(X)
        if self._sparse:
            ones = np.ones((n, 1), dtype=self.dtype)
            self._X1 = sp.hstack([ones, X], format="csr", dtype=self.dtype)
            self._X1T = self._X1.T
        else:
            # Dense data is used as it is (no copy when it is C-contiguous):
            # layer 0's intercepts are added after its product and their
            # gradient is a row sum, so no column of ones is needed.
            self._X = np.ascontiguousarray(X, dtype=self.dtype)
        self._YT = np.ascontiguousarray(np.asarray(Y, dtype=self.dtype).T)
        self._shapes = layer_shapes(self.layer_sizes)
        self._n_params = n_params(self.layer_sizes)
        self._GT = [np.empty((cols, rows), self.dtype) for rows, cols in self._shapes]
        self._GT_sets = {}
        self._work = {}
        # Forward and gradient products of every layer, and the error
        # propagated back through every layer but the first.
        self.multiply_adds = n * sum(
            2 * rows * cols + (i > 0) * (rows - 1) * cols
            for i, (rows, cols) in enumerate(self._shapes)
        )

    def _work_arrays(self, m):
        """Activations, errors and scratch for a batch of ``m`` samples, one
        set per Python thread (full batches may run blocks in several)."""
        key = (m, threading.get_ident())
        if key not in self._work:
            outs = self.layer_sizes[1:]
            # Hidden activations carry a leading row of ones for the intercepts.
            A = [np.empty((1 + k, m), self.dtype) for k in outs[:-1]]
            for a in A:
                a[0] = 1
            self._work[key] = (
                A,
                np.empty((outs[-1], m), self.dtype),
                [np.empty((k, m), self.dtype) for k in outs],
                [np.empty((k, m), self.dtype) for k in outs],
            )
        return self._work[key]

    def _pass(self, blocks, X, YT, w, GTs, full=False):
        """Forward and backward pass over rows ``X``.

        Writes the transposed gradient blocks of those rows into ``GTs`` (one
        per layer) and returns their weighted data loss. ``full`` says ``X`` is
        the whole sparse input with its column of ones (and its transpose).
        """
        m = X.shape[0]
        # The sparse input carries a column of ones; the dense one does not.
        XT = self._X1T if (self._sparse and full) else X.T
        A, Z_out, D, tmp = self._work_arrays(m)
        last = len(blocks) - 1
        activate, derivative = _HIDDEN[self.activation]

        with np.errstate(over="ignore"):
            # Forward pass: Z = block.T @ [1; A_prev], one product per layer.
            A_in = XT
            for i, B in enumerate(blocks):
                Z = Z_out if i == last else A[i][1:]
                if i == 0 and self._sparse:
                    Z[...] = B.T @ A_in
                elif i == 0:
                    # (n_out, n_in) @ (n_in, m): X.T is a view, BLAS reads it
                    # transposed; then the intercepts.
                    np.matmul(B[1:].T, A_in, out=Z)
                    Z += B[0][:, None]
                else:
                    np.matmul(B.T, A_in, out=Z)
                if i < last:
                    activate(Z)
                    A_in = A[i]

            losses = _OUTPUTS[self.out_activation](Z_out, YT, D[last], tmp[last])
            data_loss = float(np.dot(losses, w).sum())
            np.multiply(D[last], w, out=D[last])

            # Backward pass: gradient block = (D @ [1; A_prev].T).T.
            for i in range(last, -1, -1):
                GT = GTs[i]
                if i == 0:
                    if self._sparse:
                        GT[...] = D[0] @ X
                    else:
                        np.matmul(D[0], X, out=GT[:, 1:])
                        np.sum(D[0], axis=1, out=GT[:, 0])
                else:
                    np.matmul(D[i], A[i - 1].T, out=GT)
                if i > 0:
                    np.matmul(blocks[i][1:], D[i], out=D[i - 1])
                    derivative(A[i - 1][1:], D[i - 1], tmp[i - 1])
        return data_loss

    def _full_batch_in_blocks(self, blocks, grads):
        """The dense full batch in blocks of at most ``_BLOCK_ROWS`` rows, of
        equal sizes: the work arrays stay small and the gradient sums the
        blocks' contributions in float64, in the blocks' order.

        Each block runs its products on one BLAS thread. With more BLAS
        threads in force, the blocks run in that many Python threads: the
        element-wise work then runs in parallel too, which OpenBLAS's own
        threads leave on one core (60000 x 784 float32, 100 hidden units:
        224 ms against 256 ms on 2 OpenBLAS threads, 362 ms on one, blocks
        of 4096 rows). The blocks
        depend on the number of rows alone and their gradients are added in
        order by this thread, so the result is the same bits whatever the
        number of threads (OpenBLAS's own threads change the last bits).
        """
        X, YT, w, m = self._X, self._YT, self._w, self.n_samples
        size = -(-m // -(-m // _BLOCK_ROWS))  # ceil(m / number of blocks)
        parts = [slice(a, min(m, a + size)) for a in range(0, m, size)]

        def block(part, GTs):
            return self._pass(blocks, X[part], YT[:, part], w[part], GTs), GTs

        workers = min(len(parts), blas_threads_in_force())
        data_loss = 0.0
        # Gradient buffers for the blocks in flight: with several threads,
        # one more than they are, so a thread can start its next block while
        # this one adds the last. Made once per count of threads.
        if workers not in self._GT_sets:
            self._GT_sets[workers] = [self._GT] + [
                [np.empty_like(G) for G in self._GT] for _ in range(2 * workers - 2)
            ]
        free = list(self._GT_sets[workers])
        pending = collections.deque()
        with blas_worker_pool(workers) as pool:
            for part in parts:
                if not free:
                    loss, GTs = pending.popleft().result()
                    data_loss += loss
                    _add_transposed(grads, GTs)
                    free.append(GTs)
                pending.append(pool.submit(block, part, free.pop()))
            for future in pending:
                loss, GTs = future.result()
                data_loss += loss
                _add_transposed(grads, GTs)
        return data_loss

    def __call__(self, theta, rows=None):
        theta = np.asarray(theta, dtype=self.dtype)
        if theta.shape != (self._n_params,):
            raise ValueError(
                f"theta has shape {theta.shape}; this network has "
                f"{self._n_params} parameters."
            )
        if rows is None:
            m, YT, w = self.n_samples, self._YT, self._w
            X = self._X1 if self._sparse else self._X
        else:
            rows = np.asarray(rows)
            m = len(rows)
            source = self._X1 if self._sparse else self._X
            X = source[rows] if self._sparse else np.take(source, rows, axis=0)
            YT = self._YT[:, rows]
            w = self._w[rows] * self.dtype.type(self.n_samples / m)
        blocks = unpack(theta, self.layer_sizes)
        grad = np.zeros(self._n_params, dtype=np.float64)
        grads = unpack(grad, self.layer_sizes)
        if rows is None and not self._sparse:
            data_loss = self._full_batch_in_blocks(blocks, grads)
        else:
            # A minibatch (or sparse data) on one BLAS thread: OpenBLAS's
            # threads change the last bits of float32 products, so a fit's
            # weights would depend on the counts the driver picked, and a
            # batch is too small to split over Python threads with profit
            # (200 rows at 784-100-10: 2.4 ms in two halves in two threads,
            # 2.0 ms on two OpenBLAS threads, 1.7 ms whole on one).
            with blas_worker_pool(1):
                data_loss = self._pass(blocks, X, YT, w, self._GT, full=rows is None)
            _add_transposed(grads, self._GT)
        penalty = 0.0
        for B, G in zip(blocks, grads):
            W = B[1:]
            G[1:] += self._alpha_over_total * W
            penalty += float(np.vdot(W, W))
        loss = data_loss + 0.5 * self._alpha_over_total * penalty
        return loss, grad


# The backend interface: the objective's constructor has its signature.
make_objective = NumpyObjective
