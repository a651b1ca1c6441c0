"""Settings and helpers shared by the test modules.

Import them as ``from _helpers import ...``: ``tests/`` has no ``__init__.py``,
so pytest's default import mode puts it on ``sys.path`` (fixtures stay in
``conftest.py``, which is not meant to be imported).
"""

import importlib
import importlib.util
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdigits import MLPDigitClassifier
from skdigits._backends import BACKENDS, make_objective
from skdigits._network import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from skdigits._optimize import MINIBATCH_SOLVERS, SOLVERS

__all__ = [
    "BACKENDS",
    "FAST",
    "HIDDEN_ACTIVATIONS",
    "LR",
    "LazyModule",
    "MINIBATCH_SOLVERS",
    "OUTPUT_ACTIVATIONS",
    "SOLVERS",
    "available_backend",
    "build_objective",
    "expected_failed_checks",
    "fit_fast",
    "learning_rate",
    "needs_tensorflow",
]

#: Skips a test module that uses Keras and TensorFlow where they are missing.
needs_tensorflow = pytest.mark.skipif(
    not all(importlib.util.find_spec(name) for name in ("keras", "tensorflow")),
    reason="Keras and TensorFlow (the 'keras' extra) are not installed",
)


class LazyModule:
    """The module ``name``, imported at the first attribute access.

    A test module that uses TensorFlow names its modules at the top as usual,
    without importing TensorFlow (5 s of CPU) while pytest collects the tests:
    only a process that runs them pays for it.
    """

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        # While collecting, pytest probes every global of a test module for
        # special attributes (``_mock_name``, ``__wrapped__``, ...): those are
        # not the module's, and must not import it.
        if attr.startswith(("__", "_mock", "_pytest", "_fixture")):
            raise AttributeError(attr)
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self):
        return f"LazyModule({self._name!r})"


#: A small network and few iterations: fits of the 3-class digits in a blink.
FAST = dict(hidden_layer_sizes=(10,), max_iter=30, random_state=0)

#: Learning rates at which the minibatch solvers learn within ``FAST``.
LR = {"sgd": 0.1, "adam": 0.01}


def learning_rate(solver):
    """``LR``'s rate for a minibatch solver; the default for the others."""
    return LR.get(solver, 0.001)


def fit_fast(X, y, **params):
    """``MLPDigitClassifier(**FAST, **params).fit(X, y)``, params winning, with
    the ConvergenceWarning of a short fit silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPDigitClassifier(**{**FAST, **params}).fit(X, y)


def available_backend(name):
    """``name``, after skipping the test when it is ``'keras'`` and Keras is
    not installed."""
    if name == "keras":
        pytest.importorskip("keras")
    return name


def build_objective(
    X,
    Y,
    sample_weight=None,
    *,
    layer_sizes,
    l2=1.0,
    activation="logistic",
    out_activation="logistic",
    backend="numpy",
):
    """The objective of a network on ``(X, Y)``, unit weights by default: the
    set-up the engine and objective tests share."""
    if sample_weight is None:
        sample_weight = np.ones(X.shape[0])
    return make_objective(
        X,
        Y,
        sample_weight,
        l2=l2,
        layer_sizes=layer_sizes,
        activation=activation,
        out_activation=out_activation,
        backend=available_backend(backend),
    )


WEIGHT_CHECKS = (
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
)
REASON = (
    "equal to rounding, not bit for bit: the rows are summed in another order, "
    "and fits that stop on tol then differ within the tolerance"
)


def expected_failed_checks(estimator):
    """scikit-learn's checks an estimator is expected to fail: the
    weight-equivalence checks, for full-batch fits of logistic units, which
    agree to the solver's tolerance, not bit for bit (see test_common.py)."""
    if estimator.solver in ("sgd", "adam") or estimator.activation == "relu":
        return {}
    return dict.fromkeys(WEIGHT_CHECKS, REASON)
