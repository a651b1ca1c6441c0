"""Checks of the estimator's parameters and data beyond its parameter constraints.

scikit-learn's ``_parameter_constraints`` check each parameter's type and range;
what depends on the data (the layer sizes against the features and classes, the
``init`` matrices against the network, the labels against ``classes_``, the
sample weights' sum) is checked here, before any arithmetic, with a message
that names the problem.

One check is made by the first evaluation instead: that a dense ``X`` is
finite, in a full-batch fit (:func:`first_evaluation_checks_finite`,
:class:`FiniteOnFirstEvaluation`). Any NaN or infinity in ``X`` makes that
evaluation's loss or gradient non-finite; only then is ``X`` scanned, and
scikit-learn's error raised. A pass over ``X`` in the set-up would cost about
a fifth of an evaluation of the course network (benchmarks/RESULTS.md).
"""

import functools
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.utils import assert_all_finite, compute_sample_weight
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)

try:  # scikit-learn's target checks reuse distinct labels attached to y
    from sklearn.utils._unique import attach_unique
except ImportError:  # pragma: no cover - scikit-learn without it

    def attach_unique(y):
        return y


def check_target(y):
    """``y`` must be a binary or multiclass target."""
    check_classification_targets(y)
    target_type = type_of_target(y)
    if target_type not in ("binary", "multiclass"):
        raise ValueError(
            f"MLPDigitClassifier supports binary and multiclass targets; got "
            f"{target_type!r}."
        )


def target_labels(y):
    """The sorted distinct labels of ``y``, checked as a binary or multiclass
    target (:func:`check_target`); ``y`` is sorted once for every check."""
    labels = attach_unique(y)
    check_target(labels)
    metadata = getattr(labels.dtype, "metadata", None) or {}
    return metadata["unique"] if "unique" in metadata else np.unique(y)


def check_n_classes(classes):
    """A classifier needs at least two classes."""
    if len(classes) < 2:
        raise ValueError(
            "The target needs samples of at least 2 classes; got 1 class: "
            f"{classes[0]!r}."
        )
    return classes


def check_labels_known(y, classes):
    """Every label of ``y`` must be one of ``classes``."""
    unseen = np.setdiff1d(np.unique(y), classes)
    if unseen.size:
        raise ValueError(
            f"y holds labels {unseen!r} that are not in classes_ {classes!r}."
        )


def class_indices(y, classes):
    """The index in the sorted ``classes`` of each label of ``y`` (every one
    of them among ``classes``): through a table for integer labels of a small
    range, else a binary search."""
    if y.dtype.kind == "i" and classes.dtype.kind == "i" and len(classes):
        low, span = int(classes[0]), int(classes[-1]) - int(classes[0])
        if span <= 4 * len(y) + 1024:
            table = np.zeros(span + 1, dtype=np.intp)
            table[classes.astype(np.int64) - low] = np.arange(len(classes))
            return table[y.astype(np.int64, copy=False) - low]
    return np.searchsorted(classes, y)


def check_warm_start_classes(y, classes):
    """A warm-started ``fit`` must see the classes of the previous fit."""
    seen = np.unique(y)
    if not np.array_equal(seen, classes):
        raise ValueError(
            "warm_start can only be used where `y` has the same classes as in "
            f"the previous call to fit. Previously got {classes!r}, `y` has "
            f"{seen!r}. Set warm_start=False to refit from scratch."
        )


def check_partial_fit_classes(classes):
    """The sorted, distinct labels of ``classes``, checked as scikit-learn checks y."""
    if np.ndim(np.asarray(classes, dtype=object)) != 1:
        raise ValueError(
            f"classes must be a 1-d array-like of labels; got shape "
            f"{np.shape(np.asarray(classes, dtype=object))}."
        )
    # Mixed strings and numbers, NaN and continuous values are refused here,
    # as they are in y.
    with np.errstate(invalid="ignore"):
        # Named 'classes' in the messages (NaN, inf), not 'y'.
        type_of_target(classes, input_name="classes")
        check_classification_targets(classes)
        return unique_labels(classes)


def partial_fit_classes(classes, fitted_classes, *, early_stopping):
    """The classes of a ``partial_fit`` call, checked against the first call's
    (``fitted_classes``, None before the first call); None to keep them."""
    if early_stopping:
        raise ValueError(
            "partial_fit does not support early_stopping=True: each call sees "
            "one chunk of data, so there is no validation split to watch. "
            "Use fit, or set early_stopping=False."
        )
    if classes is not None:
        classes = check_partial_fit_classes(classes)
    if fitted_classes is None:
        if classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return check_n_classes(classes)
    if classes is not None and not np.array_equal(classes, fitted_classes):
        raise ValueError(
            f"classes={np.unique(classes)!r} differs from the classes of the "
            f"first call to partial_fit, {fitted_classes!r}."
        )
    return classes


def layer_sizes(hidden_layer_sizes, n_features, n_classes):
    """``[n_features, *hidden_layer_sizes, n_classes]``, checked."""
    # Look at each entry itself: np.asarray would turn a mix of integer
    # types (int64 and uint64) into float64.
    sizes = hidden_layer_sizes
    is_one = isinstance(sizes, Integral) or np.ndim(sizes) == 0
    hidden = [sizes] if is_one else list(sizes)
    if not all(
        isinstance(h, Integral) and not isinstance(h, bool | np.bool_) and h > 0
        for h in hidden
    ):
        raise ValueError(
            f"hidden_layer_sizes must be positive integers, got {hidden_layer_sizes!r}."
        )
    return [n_features, *(int(h) for h in hidden), n_classes]


def check_init_matrices(init, layer_sizes):
    """A list ``init`` must hold one finite course-layout matrix per layer."""
    if len(init) != len(layer_sizes) - 1:
        raise ValueError(
            f"init has {len(init)} matrices; this network has "
            f"{len(layer_sizes) - 1} layers of weights."
        )
    for i, T in enumerate(init):
        shape = (layer_sizes[i + 1], 1 + layer_sizes[i])
        T = np.asarray(T)
        if T.shape != shape:
            raise ValueError(
                f"init[{i}] has shape {T.shape}; layer {i} needs a matrix "
                f"of shape {shape} (n_out, 1 + n_in), bias in column 0."
            )
        real = np.issubdtype(T.dtype, np.integer) or np.issubdtype(T.dtype, np.floating)
        if not real or not np.all(np.isfinite(T)):
            raise ValueError(
                f"init[{i}] must hold finite real numbers, got dtype {T.dtype}."
            )


def check_warm_start(coefs, layer_sizes):
    """A warm start needs the network it starts from."""
    if [W.shape for W in coefs] != list(zip(layer_sizes[:-1], layer_sizes[1:])):
        raise ValueError(
            "hidden_layer_sizes changed since the last fit; a warm start "
            "needs the same network. Set warm_start=False to refit."
        )


def check_class_weight(class_weight):
    """Each weight of a ``class_weight`` dict must be a finite number >= 0."""
    if not isinstance(class_weight, dict):
        return
    for label, weight in class_weight.items():
        ok = isinstance(weight, Real) and not isinstance(weight, bool | np.bool_)
        if not ok or not (np.isfinite(weight) and weight >= 0):
            raise ValueError(
                f"class_weight for class {label!r} must be a finite, non-negative "
                f"number; got {weight!r}."
            )


def class_weight_factors(class_weight, classes, found, counts):
    """The factor of each of ``classes`` for ``class_weight`` ('balanced' or a
    dict), from the classes ``found`` in ``y`` and their ``counts``: what
    :func:`sklearn.utils.compute_sample_weight` gives each row of a class."""
    check_class_weight(class_weight)
    factors = np.ones(len(classes))
    if class_weight == "balanced":
        present = np.searchsorted(classes, found)
        factors[present] = np.sum(counts) / (len(found) * np.asarray(counts))
    else:
        for i, label in enumerate(classes):
            factors[i] = class_weight.get(label, 1.0)
    return factors


def weight_samples(sample_weight, class_weight, y):
    """Checked sample weights times the class weights; their sum must be a
    positive, finite number."""
    if class_weight is not None:
        check_class_weight(class_weight)
        sample_weight = sample_weight * compute_sample_weight(class_weight, y)
    with np.errstate(over="ignore"):
        total = np.sum(sample_weight)
    check_weight_total(total)
    return sample_weight


def check_weight_total(total):
    """The sum of the sample weights must be a positive, finite number."""
    if not np.isfinite(total):
        raise ValueError(
            f"The sample weights sum to {total} (overflow): they are too large "
            "to compute with. Divide them by a common factor; note that this "
            "strengthens the penalty alpha / (2 * sum(sample_weight))."
        )
    if not total > 0:
        raise ValueError("The sample weights sum to zero: nothing to fit.")


# ------------------------------------------------- X's finiteness, deferred


@functools.cache
def products_propagate_non_finite():
    """Whether NumPy's matrix products, in the forms the NumPy engine uses,
    turn every NaN and infinity of one operand into a non-finite result, also
    where the other operand is zero (``0 * inf`` is NaN): the condition for
    :class:`FiniteOnFirstEvaluation`. A BLAS that skipped zero factors would
    fail it; the fit then checks ``X`` before the evaluation, as scikit-learn
    does. Probed once per process (a fraction of a millisecond), in both
    dtypes, on blocks whose sizes are no multiple of a kernel's unrolling."""
    with np.errstate(invalid="ignore"):
        for dtype in (np.float32, np.float64):
            for m, n_in, k in [(67, 131, 9), (261, 99, 25)]:
                X = np.ones((m, n_in), dtype)
                X[5, 7], X[m - 3, n_in - 2] = np.inf, np.nan
                W, D = np.zeros((n_in, k), dtype), np.zeros((k, m), dtype)
                forward = np.matmul(W.T, X.T)  # the first layer's product
                backward = np.matmul(D, X)  # its gradient's product
                if not (
                    np.isnan(forward[:, [5, m - 3]]).all()
                    and np.isnan(backward[:, [7, n_in - 2]]).all()
                ):
                    return False
    return True


def first_evaluation_checks_finite(X, *, backend, minibatch, early_stopping):
    """Whether the finiteness of ``X`` (before validation) is left to the
    first evaluation (:class:`FiniteOnFirstEvaluation`): for a dense ``X``
    fitted full batch by the NumPy engine on every row (no held-out split),
    where the products propagate NaN and infinity."""
    import scipy.sparse as sp

    return (
        backend == "numpy"
        and not minibatch
        and not early_stopping
        and not sp.issparse(X)
        and products_propagate_non_finite()
    )


class FiniteOnFirstEvaluation:
    """The objective, whose first full-batch evaluation checks that ``X`` (the
    data of every row it evaluates) is finite.

    A NaN or an infinity in ``X`` makes the first layer's products, and with
    them the loss or the gradient, non-finite (``0 * inf`` is NaN). A
    non-finite first evaluation is followed by scikit-learn's check of ``X``,
    which raises its ValueError ("Input X contains NaN.", "... infinity ...");
    a finite ``X`` whose values overflow the arithmetic passes it, and the
    driver reports the non-finite loss as before. Warnings during the first
    evaluation (from any thread: Python's filters are the process's) are
    shown after it, or dropped with the ValueError. Every other attribute is
    the objective's.
    """

    def __init__(self, objective, X, *, estimator_name):
        self.objective = objective
        self._X, self._estimator_name = X, estimator_name

    def __getattr__(self, name):
        return getattr(self.objective, name)

    def __call__(self, theta, rows=None, workers=1):
        if rows is not None or self._X is None:
            return self.objective(theta, rows, workers)
        X, self._X = self._X, None
        # Worker threads do not share this thread's np.errstate: their
        # warnings about the NaN and infinity wait for the verdict, and are
        # dropped when X is refused.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                loss, grad = self.objective(theta, rows, workers)
                if not (np.isfinite(loss) and np.isfinite(grad).all()):
                    # The sum of inf and -inf must raise, not warn.
                    with np.errstate(invalid="ignore", over="ignore"):
                        assert_all_finite(
                            X, input_name="X", estimator_name=self._estimator_name
                        )
            except ValueError:
                caught.clear()
                raise
        # Once per place, as Python shows a warning of a line by default.
        for w in {
            (w.category, str(w.message), w.filename, w.lineno): w for w in caught
        }.values():
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return loss, grad
