"""Backends: interchangeable implementations of the same objective.

A backend is a module exposing ``make_objective(X, Y, sample_weight, *, alpha,
layer_sizes, activation, out_activation)``, which returns an :class:`Objective`.
The optimizer driver in :mod:`skdigits._optimize` only ever sees that object,
so a backend is free to compute it however it likes (NumPy, TensorFlow
autodiff, ...). Every solver, full batch or minibatch, runs in that one driver
for every backend: there is no second optimizer loop.
"""

from typing import Protocol

import numpy as np

BACKENDS = ("numpy", "keras")


class Objective(Protocol):
    """What the driver needs of a backend's objective.

    ``objective(theta)`` returns ``(loss, grad)`` at the float64 vector
    ``theta``: the loss as a float, the gradient as a float64 array of
    ``theta``'s shape. ``objective(theta, rows)`` returns the unbiased minibatch
    estimate over the sample indices ``rows``: the data term over those rows
    scaled by ``n_samples / len(rows)``, plus the full penalty.
    """

    #: Number of (collapsed) training rows.
    n_samples: int
    #: Precision of the arithmetic (float32 or float64).
    dtype: np.dtype
    #: Multiply-adds of the matrix products of one full evaluation, for the BLAS
    #: thread policy; None when the backend manages its own threads.
    multiply_adds: int | None

    def __call__(self, theta, rows=None): ...


def get_backend(name):
    """Import and return the backend module called ``name``."""
    if name == "numpy":
        from skdigits._backends import _numpy

        return _numpy
    if name == "keras":
        from skdigits._keras import require_keras

        require_keras("backend='keras'")
        from skdigits._keras import objective

        return objective
    raise ValueError(f"Unknown backend {name!r}; expected one of {BACKENDS}.")
