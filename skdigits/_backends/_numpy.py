"""The NumPy engine: the data term and its gradient over a block of rows.

Layout
------
Samples run along the columns: every activation, error and work array has shape
``(n_units, n_samples)``. A block of dense input is used as given, ``(n_rows,
n_features)`` (a view, no copy): the first layer's forward product reads it
transposed, ``W0.T @ X.T``, its intercepts are added after the product and
their gradient is a row sum of the errors; sparse input likewise, through
SciPy's products. With that layout

- a hidden layer's block of ``theta`` (shape ``(1 + n_in, n_out)``, intercepts
  in row 0) enters its forward product as ``block.T @ A1``: hidden activations
  keep a leading row of ones, so the intercepts ride in the same matrix
  product as the weights, and so does the intercepts' gradient in
  ``(D @ A1.T).T``;
- OpenBLAS runs these short-and-wide float64 products (``n_out`` rows,
  ``n_samples`` columns) faster than the tall-and-thin ones of the row layout
  that scikit-learn's MLP uses (``benchmarks/bench_engine.py`` times both);
- the element-wise work runs on contiguous blocks with kernels built on NumPy's
  SIMD ``exp`` and ``log`` rather than the scalar loops of
  ``scipy.special.expit`` and ``np.logaddexp``.

The measurements behind these choices are in ``benchmarks/RESULTS.md``
("Design measurements").

Work arrays are allocated once per block size and Python thread, and reused;
arithmetic is done in the engine's dtype (float32 end to end for float32
data), and the gradient is returned as a new float64 vector. The engine holds
no data and reads no thread state: the objective in :mod:`skdigits._backends`
hands it the blocks, and its executor decides where they run.
"""

import threading

import numpy as np
import scipy.sparse as sp

from skdigits._network import layer_shapes, layer_views, n_params

# ---------------------------------------------------------------- kernels
# All kernels work in place on arrays of shape (n_units, n_samples); ``tmp`` is
# a work array of the same shape.


def _sigmoid(Z):
    # 1 / (1 + exp(-z)): within 2 ulp of scipy's expit, on NumPy's SIMD exp.
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


class NumpyEngine:
    """The data term of a fully connected network over a block of rows.

    ``engine(theta, X, Y, w, out=None)`` returns ``sum_i w_i l_i`` over the
    rows of ``X`` and its gradient (float64, written into ``out`` when given),
    where ``l_i`` is row ``i``'s
    cross-entropy: the binary cross-entropy summed over the output units for
    ``'logistic'`` outputs, the categorical cross-entropy for ``'softmax'``.
    Losses are computed from the logits, so no activation saturates into
    ``log(0)``.
    """

    #: Rows per block of a full batch: the activations and errors of a block
    #: (one set per thread) stay a small fraction of the data
    #: (benchmarks/RESULTS.md, the engine's block size).
    block_rows = 2048
    threadable = True

    def __init__(self, dtype, *, layer_sizes, activation, out_activation):
        self.dtype = np.dtype(dtype)
        self.layer_sizes = list(layer_sizes)
        self._activate, self._derivative = _HIDDEN[activation]
        self._output = _OUTPUTS[out_activation]
        self._shapes = layer_shapes(self.layer_sizes)
        self._n_params = n_params(self.layer_sizes)
        self._work = {}

    def _work_arrays(self, m):
        """Activations, errors, scratch, transposed targets and gradient blocks
        for ``m`` rows, one set per Python thread."""
        key = (m, threading.get_ident())
        if key not in self._work:
            outs, dt = self.layer_sizes[1:], self.dtype
            # Hidden activations carry a leading row of ones for the intercepts.
            A = [np.empty((1 + k, m), dt) for k in outs[:-1]]
            for a in A:
                a[0] = 1
            self._work[key] = (
                A,
                np.empty((outs[-1], m), dt),
                [np.empty((k, m), dt) for k in outs],
                [np.empty((k, m), dt) for k in outs],
                np.empty((outs[-1], m), dt),
                [np.empty((cols, rows), dt) for rows, cols in self._shapes],
                # theta in the engine's dtype, when that is not float64
                np.empty(self._n_params, dt) if dt != np.float64 else None,
            )
        return self._work[key]

    def __call__(self, theta, X, Y, w, out=None):
        m = X.shape[0]
        A, Z_out, D, tmp, YT, GTs, theta_cast = self._work_arrays(m)
        if theta_cast is not None:
            np.copyto(theta_cast, theta)
            theta = theta_cast
        blocks = layer_views(theta, self.layer_sizes)
        np.copyto(YT, Y.T)
        w = np.asarray(w, dtype=self.dtype)
        sparse = sp.issparse(X)
        last = len(blocks) - 1

        with np.errstate(over="ignore"):
            # Forward pass: Z = block.T @ [1; A_prev], one product per layer.
            A_in = X
            for i, B in enumerate(blocks):
                Z = Z_out if i == last else A[i][1:]
                if i == 0 and sparse:
                    Z[...] = (X @ B[1:]).T
                    Z += B[0][:, None]
                elif i == 0:
                    # (n_out, n_in) @ (n_in, m): X.T is a view, BLAS reads it
                    # transposed; then the intercepts.
                    np.matmul(B[1:].T, X.T, out=Z)
                    Z += B[0][:, None]
                else:
                    np.matmul(B.T, A_in, out=Z)
                if i < last:
                    self._activate(Z)
                    A_in = A[i]

            losses = self._output(Z_out, YT, D[last], tmp[last])
            data_loss = float(np.dot(losses, w).sum())
            np.multiply(D[last], w, out=D[last])

            # Backward pass: gradient block = (D @ [1; A_prev].T).T.
            for i in range(last, -1, -1):
                GT = GTs[i]
                if i == 0 and sparse:
                    GT[:, 1:] = (X.T @ D[0].T).T
                    np.sum(D[0], axis=1, out=GT[:, 0])
                elif i == 0:
                    np.matmul(D[0], X, out=GT[:, 1:])
                    np.sum(D[0], axis=1, out=GT[:, 0])
                else:
                    np.matmul(D[i], A[i - 1].T, out=GT)
                if i > 0:
                    np.matmul(blocks[i][1:], D[i], out=D[i - 1])
                    self._derivative(A[i - 1][1:], D[i - 1], tmp[i - 1])
        grad = np.empty(self._n_params, dtype=np.float64) if out is None else out
        for G, GT in zip(layer_views(grad, self.layer_sizes), GTs):
            G[...] = GT.T
        return data_loss, grad
