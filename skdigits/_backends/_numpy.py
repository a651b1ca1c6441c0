"""The NumPy backprop engine: loss and gradient as a function of ``theta``."""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, logsumexp

from skdigits._network import ACTIVATIONS, DERIVATIVES, n_params, unpack


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

    Work arrays are allocated once and reused across evaluations; arithmetic is
    done in the dtype of ``X`` and the gradient is returned as float64 for SciPy.
    """

    def __init__(
        self, X, Y, sample_weight, *, alpha, layer_sizes, activation, out_activation
    ):
        self.X = X
        self.dtype = X.dtype
        self.Y = np.asarray(Y, dtype=self.dtype)
        self.layer_sizes = list(layer_sizes)
        self.activation = activation
        self.out_activation = out_activation
        total = float(np.sum(sample_weight, dtype=np.float64))
        self.n_samples = X.shape[0]
        self._w = (np.asarray(sample_weight, dtype=np.float64) / total).astype(
            self.dtype
        )
        self._alpha_over_total = alpha / total
        self._sparse = sp.issparse(X)
        self._Z = [np.empty((self.n_samples, k), self.dtype) for k in layer_sizes[1:]]
        self._D = [np.empty((self.n_samples, k), self.dtype) for k in layer_sizes[1:]]
        self._grad = np.empty(n_params(layer_sizes), self.dtype)

    def __call__(self, theta, rows=None):
        theta = np.asarray(theta, dtype=self.dtype)
        if rows is None:
            X, Y, w, m = self.X, self.Y, self._w, self.n_samples
        else:
            m = len(rows)
            X, Y = self.X[rows], self.Y[rows]
            w = self._w[rows] * self.dtype.type(self.n_samples / m)
        blocks = unpack(theta, self.layer_sizes)
        grads = unpack(self._grad, self.layer_sizes)
        n_layers = len(blocks)

        # Forward pass: Z[i] holds layer i's activations (logits for the output).
        acts = [X]
        for i, B in enumerate(blocks):
            Z = self._Z[i][:m]
            if i == 0 and self._sparse:
                Z[...] = X @ B[1:]
            else:
                np.matmul(acts[-1], B[1:], out=Z)
            Z += B[0]
            if i < n_layers - 1:
                ACTIVATIONS[self.activation](Z)
            acts.append(Z)

        logits, D = acts[-1], self._D[-1][:m]
        if self.out_activation == "logistic":
            # sum_k softplus(z_k) - y_k z_k, and d/dz = sigmoid(z) - y
            per_sample = np.logaddexp(0, logits).sum(axis=1)
            per_sample -= np.einsum("ij,ij->i", Y, logits)
            expit(logits, out=D)
        else:
            lse = logsumexp(logits, axis=1)
            per_sample = lse * Y.sum(axis=1) - np.einsum("ij,ij->i", Y, logits)
            np.subtract(logits, lse[:, None], out=D)
            np.exp(D, out=D)
        D -= Y
        D *= w[:, None]
        data_loss = float(np.dot(w.astype(np.float64), per_sample))

        # Backward pass.
        penalty = 0.0
        for i in range(n_layers - 1, -1, -1):
            W, G, A_in = blocks[i][1:], grads[i], acts[i]
            if i == 0 and self._sparse:
                G[1:] = (A_in.T @ D).reshape(G[1:].shape)
            else:
                np.matmul(A_in.T, D, out=G[1:])
            np.sum(D, axis=0, out=G[0])
            G[1:] += self.dtype.type(self._alpha_over_total) * W
            penalty += float(np.vdot(W, W))
            if i > 0:
                D_prev = self._D[i - 1][:m]
                np.matmul(D, W.T, out=D_prev)
                DERIVATIVES[self.activation](A_in, D_prev)
                D = D_prev

        loss = data_loss + 0.5 * self._alpha_over_total * penalty
        return loss, self._grad.astype(np.float64, copy=True)


def make_objective(
    X, Y, sample_weight, *, alpha, layer_sizes, activation, out_activation
):
    """Return the NumPy ``loss_and_grad(theta, rows=None)`` callable."""
    return NumpyObjective(
        X,
        Y,
        sample_weight,
        alpha=alpha,
        layer_sizes=layer_sizes,
        activation=activation,
        out_activation=out_activation,
    )
