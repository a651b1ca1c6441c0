"""Pure NumPy pieces of the network: activations, parameter layout, init, forward pass.

Parameter layout
----------------
All weights live in one flat vector ``theta``. Layer ``i`` owns a contiguous block
that reshapes to ``(1 + n_in, n_out)``: row 0 holds the intercepts, rows ``1:`` the
coefficients. That block is exactly the transpose of the course's ``Theta`` matrix
(shape ``(n_out, 1 + n_in)``, bias in column 0), so ``theta`` is the course's
column-major unrolling ``[Theta1(:); Theta2(:)]``: no reordering is ever needed to
compare with the course.
"""

import numpy as np
from scipy.linalg.blas import daxpy
from scipy.special import expit, log_expit, log_softmax

# The names of the hidden and output activations, for every engine: the
# estimator's parameter constraints, the NumPy engine's and the Keras wing's
# tables are keyed by them.
HIDDEN_ACTIVATIONS = ("logistic", "tanh", "relu")
OUTPUT_ACTIVATIONS = ("logistic", "softmax")


def _logistic(Z):
    return expit(Z, out=Z)


def _tanh(Z):
    return np.tanh(Z, out=Z)


def _relu(Z):
    return np.maximum(Z, 0, out=Z)


# Prediction's activations, in place on the pre-activations. Not the NumPy
# engine's kernels: prediction runs outside the engine's np.errstate, and
# expit, unlike the engine's exp-based sigmoid, never warns of an overflow.
_ACTIVATIONS = {"logistic": _logistic, "tanh": _tanh, "relu": _relu}


def layer_shapes(layer_sizes):
    """Block shapes ``(1 + n_in, n_out)`` of every layer."""
    return [(n_in + 1, n_out) for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:])]


def n_params(layer_sizes):
    """Length of ``theta`` for a network with these layer sizes."""
    return sum(rows * cols for rows, cols in layer_shapes(layer_sizes))


def layer_views(theta, layer_sizes):
    """Views of ``theta`` as per-layer blocks of shape ``(1 + n_in, n_out)``.

    ``block[0]`` is the intercept vector and ``block[1:]`` the coefficient matrix.
    The blocks share memory with ``theta``.
    """
    blocks, start = [], 0
    for rows, cols in layer_shapes(layer_sizes):
        stop = start + rows * cols
        blocks.append(theta[start:stop].reshape(rows, cols))
        start = stop
    return blocks


def theta_from_layers(coefs, intercepts, dtype=np.float64):
    """Flat ``theta`` from scikit-learn style ``coefs`` and ``intercepts`` lists."""
    parts = [
        np.vstack([np.reshape(b, (1, -1)), W]).ravel()
        for W, b in zip(coefs, intercepts)
    ]
    return np.concatenate(parts).astype(dtype, copy=False)


def add_penalty(theta, grad, layer_sizes, factor):
    """Add the gradient of ``factor / 2 * ||W||^2`` (the squared non-bias
    weights of ``theta``) to ``grad``, in place; return the penalty.

    The one place the L2 penalty is computed, for every engine and executor.
    ``theta`` and ``grad`` are float64 vectors; no temporary array is made
    (the non-bias weights of a layer are one contiguous range of ``theta``,
    updated by BLAS's ``axpy``).
    """
    squares, start = 0.0, 0
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        # A layer's block is (1 + n_in, n_out), row-major: intercepts first.
        weights = slice(start + n_out, start + (1 + n_in) * n_out)
        W = theta[weights]
        squares += float(np.dot(W, W))
        if factor:
            G = grad[weights]
            result = daxpy(W, G, a=factor)
            if not np.may_share_memory(result, G):  # grad was not float64
                G[...] = result
        start = weights.stop
    return 0.5 * factor * squares


def layer_copies(theta, layer_sizes):
    """``(coefs, intercepts)`` lists, as independent arrays, from ``theta``."""
    blocks = layer_views(np.asarray(theta), layer_sizes)
    return [B[1:].copy() for B in blocks], [B[0].copy() for B in blocks]


def initial_theta(layer_sizes, init, epsilon_init, random_state, dtype=np.float64):
    """Initial parameter vector.

    Parameters
    ----------
    layer_sizes : list of int
        ``[n_features, *hidden_layer_sizes, n_outputs]``.

    init : {'uniform', 'glorot'} or list of ndarray
        ``'uniform'`` draws every weight, bias included, uniformly in
        ``[-epsilon_init, epsilon_init]``, one course-layout matrix ``Theta`` of
        shape ``(n_out, 1 + n_in)`` per layer, in order. ``'glorot'`` uses the
        Glorot uniform bound ``sqrt(6 / (fan_in + fan_out))``. A list gives the
        course-layout matrices themselves (validated by the caller).

    epsilon_init : float
        Half-width of the ``'uniform'`` interval.

    random_state : numpy.random.RandomState
        Source of randomness.

    dtype : dtype
        Dtype of the returned vector.
    """
    if not isinstance(init, str):
        return np.concatenate(
            [np.asarray(T, dtype=np.float64).T.ravel() for T in init]
        ).astype(dtype, copy=False)
    parts = []
    for n_in, n_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        bound = epsilon_init if init == "uniform" else np.sqrt(6.0 / (n_in + n_out))
        Theta = random_state.uniform(-bound, bound, size=(n_out, 1 + n_in))
        parts.append(Theta.T.ravel())
    return np.concatenate(parts).astype(dtype, copy=False)


def forward_logits(X, coefs, intercepts, activation):
    """Output-layer pre-activations (logits) for ``X``.

    ``X`` may be a dense array or a SciPy sparse matrix. The pass runs in the
    weights' precision; where float32 overflows (large inputs times the large
    weights of a diverging fit), it is run again in float64, and the logits are
    float64. Logits that overflow float64 too raise a ValueError that says to
    scale the data, rather than turn into NaN probabilities.
    """
    logits = _forward(X, coefs, intercepts, activation)
    if logits.dtype != np.float64 and not np.isfinite(logits).all():
        logits = _forward(
            X.astype(np.float64),
            [W.astype(np.float64) for W in coefs],
            [b.astype(np.float64) for b in intercepts],
            activation,
        )
    if not np.isfinite(logits).all():
        raise ValueError(
            "The network's outputs overflow on this input: its values are too "
            "large for the weights. Scale the data (for example with "
            "MinMaxScaler) and fit again."
        )
    return logits


# Overflow shows up as non-finite logits, which forward_logits handles.
@np.errstate(over="ignore", invalid="ignore")
def _forward(X, coefs, intercepts, activation):
    A = X
    last = len(coefs) - 1
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = A @ W
        Z += b
        if i < last:
            _ACTIVATIONS[activation](Z)
        A = Z
    return np.asarray(A)


def log_proba_from_logits(Z, out_activation):
    """Log-probabilities whose rows sum (in probability) to 1.

    With ``'logistic'`` outputs, the unit activations ``sigmoid(z_k)`` are
    normalised over the classes; this keeps the arg-max, and is computed in log
    space so that no activation underflows to a division by zero.
    """
    if out_activation == "logistic":
        Z = log_expit(Z)
    return log_softmax(Z, axis=1)
