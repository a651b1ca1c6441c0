"""The reference: the course's network with or without one classic mistake,
and the small networks every cost and gradient is checked on."""

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

COST_RTOL = 1e-7
GRAD_RTOL = 1e-6


def course():
    """:mod:`skdigits.course`, imported when grading (it re-exports grade)."""
    from skdigits import course

    return course


def _forward(T1, T2, X):
    """The inputs with bias a1, the hidden activations with bias a2, the output h."""
    m = X.shape[0]
    a1 = np.hstack([np.ones((m, 1)), X])
    a2 = np.hstack([np.ones((m, 1)), expit(a1 @ T1.T)])
    return a1, a2, expit(a2 @ T2.T)


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
        scale = mistake.get("grad_reg_scale", 1.0) * lam / m
        G1[:, gstart:] += scale * T1[:, gstart:]
        G2[:, gstart:] += scale * T2[:, gstart:]
    return G1, G2


def variant(theta, sizes, X, y, lam, **mistake):
    """Cost and gradient of the course's network, with one classic mistake.

    Without keyword arguments it is the course's ``nnCostFunction``.
    """
    n_in, n_hid, K = sizes
    m = X.shape[0]
    order = "C" if mistake.get("row_major") else "F"
    n1 = n_hid * (n_in + 1)
    T1 = theta[:n1].reshape((n_hid, n_in + 1), order=order)
    T2 = theta[n1:].reshape((K, n_hid + 1), order=order)
    first = 0 if mistake.get("labels_0") else 1
    Y = (y[:, None] == np.arange(first, first + K)).astype(np.float64)
    a1, a2, h = _forward(T1, T2, X)
    scales = {"m": m, "2m": 2.0 * m, "1/K": 1.0 / K, "1/m": 1.0 / m}
    J = _cost(T1, T2, Y, h, lam, mistake, scales)
    G1, G2 = _gradient(T1, T2, Y, a1, a2, h, lam, mistake, scales)
    grad = np.concatenate([G1.ravel(order=order), G2.ravel(order=order)])
    return float(J), grad


@dataclass
class Problem:
    """One network to grade on: its sizes, data, weights and lambda."""

    name: str
    sizes: tuple
    X: np.ndarray
    y: np.ndarray
    theta: np.ndarray
    lam: float

    def solve(self, lam=None, **mistake):
        """``(J, grad)`` of :func:`variant` on this problem (at ``lam`` if given)."""
        lam = self.lam if lam is None else lam
        return variant(self.theta, self.sizes, self.X, self.y, lam, **mistake)

    @property
    def thetas(self):
        n_in, n_hid, K = self.sizes
        n1 = n_hid * (n_in + 1)
        return (
            self.theta[:n1].reshape((n_hid, n_in + 1), order="F"),
            self.theta[n1:].reshape((K, n_hid + 1), order="F"),
        )

    @property
    def where(self):
        n_in, n_hid, K = self.sizes
        return (
            f"on the {self.name} ({n_in}-{n_hid}-{K}, m = {self.X.shape[0]}, "
            f"lambda {self.lam:g})"
        )

    def position(self, index):
        """The name of entry ``index`` of the unrolled weights: ``Theta1[i, j]``."""
        n_in, n_hid, K = self.sizes
        n1 = n_hid * (n_in + 1)
        if index < n1:
            return f"Theta1[{index % n_hid}, {index // n_hid}]"
        index -= n1
        return f"Theta2[{index % K}, {index // K}]"


def problems():
    """The course's debugging network, then random small networks.

    A dict from lambda set (0: lambda 0, 1: lambda > 0) to a list of
    :class:`Problem`.
    """
    n_in, n_hid, K, m = 3, 5, 3, 5
    T1 = course().debug_initialize_weights(n_hid, n_in)
    T2 = course().debug_initialize_weights(K, n_hid)
    X = course().debug_initialize_weights(m, n_in - 1)
    y = 1 + np.arange(1, m + 1) % K
    theta = np.concatenate([T1.ravel(order="F"), T2.ravel(order="F")])
    found = {0: [], 1: []}
    for lam_set, lam in ((0, 0.0), (1, 3.0)):
        found[lam_set].append(
            Problem("debugging network", (n_in, n_hid, K), X, y, theta, lam)
        )
    rng = np.random.RandomState(4)
    for i, ((n_in, n_hid, K, m), lam) in enumerate(
        [((4, 6, 4, 12), 1.0), ((7, 3, 5, 20), 0.5), ((2, 4, 3, 9), 2.0)], start=1
    ):
        X = rng.normal(size=(m, n_in))
        y = rng.permutation(np.resize(np.arange(1, K + 1), m))
        theta = rng.uniform(-1.5, 1.5, size=n_hid * (n_in + 1) + K * (n_hid + 1))
        for lam_set, lam_i in ((0, 0.0), (1, lam)):
            found[lam_set].append(
                Problem(f"random network {i}", (n_in, n_hid, K), X, y, theta, lam_i)
            )
    return found


def close(a, b, rtol):
    """Whether ``a`` has ``b``'s shape and is within ``rtol`` of it in norm."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(
        np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(b), 1e-12)
    )
