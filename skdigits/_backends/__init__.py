"""Backends: interchangeable implementations of the same objective.

A backend is a module exposing ``make_objective(X, Y, sample_weight, *, alpha,
layer_sizes, activation, out_activation)``, which returns a callable
``loss_and_grad(theta, rows=None) -> (float, ndarray of float64)``. The optimizer
driver in :mod:`skdigits._optimize` only ever sees that callable, so a backend
is free to compute it however it likes (NumPy, TensorFlow autodiff, ...).

Every solver, full batch or minibatch, runs in that one driver for every
backend: there is no second optimizer loop.
"""

import importlib

BACKENDS = ("numpy", "keras")


def get_backend(name):
    """Import and return the backend module called ``name``."""
    if name == "numpy":
        from skdigits._backends import _numpy

        return _numpy
    if name == "keras":
        if importlib.util.find_spec("keras") is None:
            raise ImportError(
                "backend='keras' needs Keras and TensorFlow, which are not installed. "
                'Install them with: pip install "skdigits[keras]"'
            )
        from skdigits._backends import _keras

        return _keras
    raise ValueError(f"Unknown backend {name!r}; expected one of {BACKENDS}.")
