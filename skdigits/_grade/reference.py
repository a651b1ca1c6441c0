"""The reference: the course's network in plain NumPy, its conventions, the
networks every answer is checked on, and the network with one classic mistake.

Nothing here imports :mod:`skdigits.course` (which re-exports the grader): the
course's network is small enough to write out again, and the tests check that
both agree.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

COST_RTOL = 1e-7
GRAD_RTOL = 1e-6

ORDER_NAMES = {"F": "column-major", "C": "row-major"}


@dataclass(frozen=True)
class Convention:
    """How a learner's functions encode the network.

    ``order`` is how ``nn_params`` is unrolled ("F": column-major, MATLAB's
    ``Theta(:)``; "C": row-major, NumPy's ``ravel()``), ``base`` the first
    label (1: labels 1..K, the digit 0 is label 10; 0: labels 0..K-1; None
    with one-hot ``y``) and ``y_shape`` how ``y`` is passed ("vector": (m,);
    "column": (m, 1), as ``loadmat`` reads it; "onehot": the (m, K) one-hot
    matrix, for code that expects it).
    """

    order: str
    base: int
    y_shape: str

    @property
    def edition(self):
        if (self.order, self.base) == ("F", 1):
            return "the course's Octave original"
        if (self.order, self.base) == ("C", 0):
            return "the course's Python edition"
        return "a mix of the two editions"

    def __str__(self):
        order = ORDER_NAMES[self.order]
        if self.y_shape == "onehot":
            return f"{order} unrolling, y one-hot of shape (m, K)"
        labels = "1..K" if self.base == 1 else "0..K-1"
        y = "(m,)" if self.y_shape == "vector" else "(m, 1)"
        return f"{order} unrolling, labels {labels}, y of shape {y}: {self.edition}"


def conventions(prefer_python=False):
    """Every convention, the most likely first."""
    pairs = [("F", 1), ("C", 0), ("C", 1), ("F", 0)]
    if prefer_python:
        pairs = [("C", 0), ("F", 1), ("C", 1), ("F", 0)]
    found = [
        Convention(order, base, y_shape)
        for y_shape in ("vector", "column")
        for order, base in pairs
    ]
    orders = ("C", "F") if prefer_python else ("F", "C")
    return found + [Convention(order, None, "onehot") for order in orders]


OCTAVE = Convention("F", 1, "vector")


def sigmoid_gradient(z):
    """The course's ``sigmoidGradient``."""
    s = expit(z)
    return s * (1 - s)


def predict_labels(T1, T2, X, base=1):
    """The course's ``predict``: labels ``base..base+K-1``."""
    return np.argmax(_forward(T1, T2, X)[2], axis=1) + base


def debug_weights(fan_out, fan_in):
    """The course's ``debugInitializeWeights``: ``sin(1..n) / 10`` column-major."""
    n = fan_out * (1 + fan_in)
    return np.sin(np.arange(1, n + 1)).reshape((fan_out, 1 + fan_in), order="F") / 10


def unroll(T1, T2, order):
    return np.concatenate([T1.ravel(order=order), T2.ravel(order=order)])


def _forward(T1, T2, X):
    """The inputs with bias a1, the hidden activations with bias a2, the output h."""
    m = X.shape[0]
    a1 = np.hstack([np.ones((m, 1)), X])
    a2 = np.hstack([np.ones((m, 1)), expit(a1 @ T1.T)])
    return a1, a2, expit(a2 @ T2.T)


def _targets(cls, K, mistake):
    """The one-hot targets the learner builds from the classes ``cls`` (0..K-1).

    ``label_shift`` +1: labels read one base too low (the label of class c
    lands on unit c + 1, the last class on none); -1: one base too high (class
    0 on none, or with ``label_wrap`` on the last unit, as ``eye(K)[y - 1]``
    does with y = 0).
    """
    units = cls + mistake.get("label_shift", 0)
    if mistake.get("label_wrap"):
        units = units % K
    return (units[:, None] == np.arange(K)).astype(np.float64)


def _cost(T1, T2, Y, h, lam, mistake, scales):
    m, K = Y.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = Y * np.log(h)
        neg = (1 - Y) * np.log(1 - h)
    data = -np.sum(pos if mistake.get("drop_neg") else pos + neg)
    data /= m * K if mistake.get("average_mK") else m
    start = 0 if mistake.get("reg_bias") else 1
    squares = np.sum(T1[:, start:] ** 2) + np.sum(T2[:, start:] ** 2)
    penalty_scale = mistake.get("penalty_scale", 1.0)
    return data + scales.get(penalty_scale, penalty_scale) * lam / (2 * m) * squares


def _gradient(T1, T2, Y, a1, a2, h, lam, mistake, scales):
    m, K = Y.shape
    d3 = h - Y
    s = expit(a2[:, 1:]) if mistake.get("act_grad") else a2[:, 1:]
    d2 = (d3 @ T2[:, 1:]) * s * (1 - s)
    G1 = d2.T @ a1 / m
    G2 = d3.T @ a2 / m
    if mistake.get("average_mK"):
        G1, G2 = G1 / K, G2 / K
    grad_scale = mistake.get("grad_scale", 1.0)
    grad_scale = scales.get(grad_scale, grad_scale)
    G1, G2 = G1 * grad_scale, G2 * grad_scale
    greg = mistake.get("grad_reg", "course")
    gstart = 0 if greg == "bias" else 1
    if greg != "none":
        reg_scale = mistake.get("grad_reg_scale", 1.0)
        scale = scales.get(reg_scale, reg_scale) * lam / m
        G1[:, gstart:] += scale * T1[:, gstart:]
        G2[:, gstart:] += scale * T2[:, gstart:]
    return G1, G2


def variant(T1, T2, X, cls, lam, order="F", **mistake):
    """Cost and gradient of the course's network, with one classic mistake.

    ``T1``, ``T2`` are the weights, ``cls`` the classes 0..K-1 and ``order``
    the convention's unrolling: the learner is given ``unroll(T1, T2, order)``
    and the gradient is unrolled in ``order``. Without keyword arguments it is
    the course's ``nnCostFunction`` in that convention. ``read1``, ``read2``
    and ``ravel`` are the orders the learner reshapes Theta1, Theta2 and
    unrolls the gradient in, when they differ from ``order``.
    """
    K = T2.shape[0]
    m = X.shape[0]
    theta = unroll(T1, T2, order)
    n1 = T1.size
    L1 = theta[:n1].reshape(T1.shape, order=mistake.get("read1", order))
    L2 = theta[n1:].reshape(T2.shape, order=mistake.get("read2", order))
    Y = _targets(cls, K, mistake)
    a1, a2, h = _forward(L1, L2, X)
    scales = {"m": m, "2m": 2.0 * m, "1/K": 1.0 / K, "1/m": 1.0 / m}
    J = _cost(L1, L2, Y, h, lam, mistake, scales)
    G1, G2 = _gradient(L1, L2, Y, a1, a2, h, lam, mistake, scales)
    return float(J), unroll(G1, G2, mistake.get("ravel", order))


@dataclass
class Problem:
    """One network to grade on: its weights, data, classes and lambda."""

    name: str
    T1: np.ndarray
    T2: np.ndarray
    X: np.ndarray
    cls: np.ndarray
    lam: float
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def sizes(self):
        return (self.T1.shape[1] - 1, self.T1.shape[0], self.T2.shape[0])

    @property
    def m(self):
        return self.X.shape[0]

    def y(self, conv):
        """The labels as the convention passes them."""
        if conv.y_shape == "onehot":
            return np.eye(self.T2.shape[0])[self.cls]
        y = self.cls + conv.base
        return y[:, None] if conv.y_shape == "column" else y

    def args(self, conv):
        """The arguments of ``nn_cost_function`` in the convention."""
        return (
            unroll(self.T1, self.T2, conv.order),
            *self.sizes,
            self.X,
            self.y(conv),
            self.lam,
        )

    def solve(self, order, lam=None, **mistake):
        """``(J, grad)`` of :func:`variant` on this problem (at ``lam`` if given)."""
        lam = self.lam if lam is None else lam
        key = (order, lam, tuple(sorted(mistake.items())))
        if key not in self._cache:
            self._cache[key] = variant(
                self.T1, self.T2, self.X, self.cls, lam, order, **mistake
            )
        return self._cache[key]

    @property
    def where(self):
        n_in, n_hid, K = self.sizes
        sizes = f"{n_in}-{n_hid}-{K}, m = {self.m}"
        return f"on the {self.name} ({sizes}, lambda {self.lam:g})"

    def position(self, index, order):
        """The name of entry ``index`` of the unrolled weights: ``Theta1[i, j]``."""
        n1 = self.T1.size
        name, shape = (
            ("Theta1", self.T1.shape) if index < n1 else ("Theta2", self.T2.shape)
        )
        i, j = np.unravel_index(index if index < n1 else index - n1, shape, order=order)
        return f"{name}[{i}, {j}]"


def grader_network():
    """The network the course's submit scripts (both editions) grade on.

    2 inputs, 4 hidden units, 4 labels, 16 examples: ``Xm = sin(1..32)``
    reshaped (16, 2) column-major / 5, the classes ``(1..16) mod 4``,
    ``Theta1 = sin(1:2:24)`` and ``Theta2 = cos(1:2:40)`` reshaped column-major.
    """
    X = np.sin(np.arange(1, 33)).reshape((16, 2), order="F") / 5
    cls = np.arange(1, 17) % 4
    T1 = np.sin(np.arange(1, 25, 2).reshape((4, 3), order="F"))
    T2 = np.cos(np.arange(1, 41, 2).reshape((4, 5), order="F"))
    return T1, T2, X, cls


GRADER_NAME = "course grader's network"
GRADER_LAMBDAS = (0.0, 1.5)


def problems():
    """The networks graded on: a dict from lambda set (0: lambda 0, 1: lambda > 0)
    to a list of :class:`Problem`, the course's debugging network first."""
    n_in, n_hid, K, m = 3, 5, 3, 5
    T1 = debug_weights(n_hid, n_in)
    T2 = debug_weights(K, n_hid)
    X = debug_weights(m, n_in - 1)
    cls = np.arange(1, m + 1) % K
    found = {0: [], 1: []}
    for lam_set, lam in ((0, 0.0), (1, 3.0)):
        found[lam_set].append(Problem("debugging network", T1, T2, X, cls, lam))
    gT1, gT2, gX, gcls = grader_network()
    for lam_set, lam in enumerate(GRADER_LAMBDAS):
        found[lam_set].append(Problem(GRADER_NAME, gT1, gT2, gX, gcls, lam))
    rng = np.random.RandomState(4)
    for i, ((n_in, n_hid, K, m), lam) in enumerate(
        [((4, 6, 4, 12), 1.0), ((7, 3, 5, 20), 0.5), ((2, 4, 3, 9), 2.0)], start=1
    ):
        X = rng.normal(size=(m, n_in))
        cls = rng.permutation(np.resize(np.arange(K), m))
        T1 = rng.uniform(-1.5, 1.5, size=(n_hid, n_in + 1))
        T2 = rng.uniform(-1.5, 1.5, size=(K, n_hid + 1))
        for lam_set, lam_i in ((0, 0.0), (1, lam)):
            found[lam_set].append(Problem(f"random network {i}", T1, T2, X, cls, lam_i))
    return found


def close(a, b, rtol):
    """Whether ``a`` has ``b``'s shape and is within ``rtol`` of it in norm."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(
        np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(b), 1e-12)
    )
