"""What the estimator watches after every iteration of the driver.

:class:`Progress` records the loss curve, prints the ``verbose`` lines and
reports each iteration to scikit-learn callbacks. :class:`EarlyStopping` scores
the held-out split, applies the driver's stall rule
(:class:`~skdigits._optimize.Stall`) and keeps the best weights.
:class:`Monitor` is the ``on_iteration`` the driver calls: it runs both, asks
the driver to stop when either wants to, and says which weights the fit keeps,
also after Ctrl-C.

:func:`holdout_split` draws the split early stopping scores;
:func:`warn_not_converged` tells the user how a fit that did not converge
ended, and what to try.

Nothing here reads the estimator: it is handed only to the callbacks, which
scikit-learn's callback API calls with it.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from skdigits._network import forward_logits, layer_copies, layer_views
from skdigits._optimize import OptimizeResult, Stall


class Progress:
    """The loss curve, the ``verbose`` lines and scikit-learn's callbacks.

    ``losses`` is the curve to extend (a warm start's, or empty). ``context``
    is the estimator's callback context, or None; with ``report_iterations``
    every iteration is a callback task of its own, handed the iteration's
    ``coefs_`` and ``intercepts_`` (unpacked with ``layer_sizes``).
    """

    def __init__(
        self,
        losses,
        *,
        verbose,
        layer_sizes,
        context=None,
        report_iterations=False,
        estimator=None,
        X=None,
        y=None,
    ):
        self.losses = losses
        self.verbose = verbose
        self.layer_sizes = layer_sizes
        self.context, self.report_iterations = context, report_iterations
        self.estimator, self.X, self.y = estimator, X, y
        if context is not None:
            context.call_on_fit_task_begin(estimator=estimator, X=X, y=y)

    def record(self, theta, loss, note=""):
        """Record one iteration; True when a callback asks to stop."""
        self.losses.append(float(loss))
        if self.verbose:
            print(f"Iteration {len(self.losses)}, loss = {loss:.8f}{note}")
        if not self.report_iterations:
            return False
        coefs, intercepts = layer_copies(theta, self.layer_sizes)
        sub = self.context.subcontext(task_name="iteration")
        sub.call_on_fit_task_begin(estimator=self.estimator, X=self.X, y=self.y)
        return bool(
            sub.call_on_fit_task_end(
                estimator=self.estimator,
                X=self.X,
                y=self.y,
                reconstruction_attributes={"coefs_": coefs, "intercepts_": intercepts},
            )
        )

    def close(self, coefs, intercepts):
        """End the fit's callback task with the weights the fit kept."""
        if self.context is not None:
            self.context.call_on_fit_task_end(
                estimator=self.estimator,
                X=self.X,
                y=self.y,
                reconstruction_attributes={"coefs_": coefs, "intercepts_": intercepts},
            )


class EarlyStopping:
    """Accuracy on a held-out split after every iteration, and the best weights.

    The score is weighted by ``sample_weight``, like the training data (as
    scikit-learn >= 1.9 does). ``scores`` is the list to extend (a warm
    start's, or empty). Stalled after ``patience`` scores in a row that do not
    beat the best by ``tol``.
    """

    def __init__(
        self,
        X,
        y,
        sample_weight,
        *,
        classes,
        activation,
        layer_sizes,
        tol,
        patience,
        scores,
    ):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.classes, self.activation = classes, activation
        self.layer_sizes = layer_sizes
        self.scores = scores
        self.best_theta = self.best_loss = None
        self.best_score = -np.inf
        self.stall = Stall(tol, patience, higher_is_better=True)

    def score(self, theta):
        """Weighted accuracy of the weights ``theta`` on the held-out split."""
        blocks = layer_views(np.asarray(theta), self.layer_sizes)
        logits = forward_logits(
            self.X, [B[1:] for B in blocks], [B[0] for B in blocks], self.activation
        )
        correct = self.classes[np.argmax(logits, axis=1)] == self.y
        return float(np.average(correct, weights=self.sample_weight))

    def update(self, theta, loss):
        """Score ``theta``, keep it if it is the best so far; True once stalled."""
        score = self.score(theta)
        self.scores.append(score)
        if score > self.best_score:
            self.best_theta, self.best_loss = np.array(theta, copy=True), loss
            self.best_score = score
        return self.stall.update(score)


class Monitor:
    """The driver's ``on_iteration``: :class:`Progress`, then, with a held-out
    layer_copies, :class:`EarlyStopping`. Returns True to ask the driver to stop."""

    def __init__(self, progress, early_stopping=None):
        self.progress, self.early_stopping = progress, early_stopping
        self.last = None

    def __call__(self, theta, loss):
        self.last = (np.array(theta, copy=True), float(loss))
        stop, note = False, ""
        if self.early_stopping is not None:
            stop = self.early_stopping.update(theta, loss)
            note = f", validation score = {self.early_stopping.scores[-1]:.6f}"
        # The callbacks see every iteration, also the one that stalls.
        return self.progress.record(theta, loss, note) or stop

    def kept(self, result):
        """``(theta, loss)`` the fit keeps: the best validation score's
        weights with early stopping, else the driver's result."""
        early = self.early_stopping
        if early is not None and early.best_theta is not None:
            return early.best_theta, early.best_loss
        return result.theta, result.loss

    def interrupted(self):
        """The result to keep after a KeyboardInterrupt: the last completed
        iteration. With none completed, the interrupt propagates (and the fit
        leaves the estimator as it was)."""
        if self.last is None:
            raise KeyboardInterrupt
        n_done = len(self.progress.losses)
        early = self.early_stopping
        if early is not None and early.best_theta is not None:
            kept = (
                "the weights of the best validation score so far "
                f"({early.best_score:.4f})"
            )
        else:
            kept = "the weights of the last completed iteration"
        warnings.warn(
            f"Training interrupted by the user after {n_done} iteration(s) in "
            f"total; the estimator keeps {kept}.",
            UserWarning,
        )
        return OptimizeResult(*self.last, n_iter=n_done, status="interrupted")


def holdout_rows(y, *, fraction, rng):
    """``(train, val)`` row indices: a share ``fraction`` of the rows held
    out, stratified by class as MLPClassifier's split is."""
    from sklearn.model_selection import train_test_split

    n_val = int(np.ceil(fraction * len(y)))
    if n_val < 2:
        raise ValueError(
            f"The validation set is too small: validation_fraction={fraction} of "
            f"{len(y)} samples holds out {n_val}. Increase "
            "'validation_fraction' or the size of your dataset."
        )
    # train_test_split names a class with a single member, or a split too
    # small to hold every class.
    return train_test_split(
        np.arange(len(y)), test_size=fraction, stratify=y, random_state=rng
    )


def check_split_weights(train_total, val_total):
    """Refuse a split whose training or held-out weights sum to zero."""
    if not val_total > 0:
        raise ValueError(
            "The sample weights of the validation split sum to zero: "
            "early stopping has nothing to score."
        )
    if not train_total > 0:
        raise ValueError("The sample weights of the training split sum to zero.")


def holdout_split(X, y, y_index, w, *, fraction, rng):
    """``((X, y_index, w) to fit, (X, y, w) to score)``: :func:`holdout_rows`."""
    train, val = holdout_rows(y, fraction=fraction, rng=rng)
    check_split_weights(np.sum(w[train]), np.sum(w[val]))
    return (X[train], y_index[train], w[train]), (X[val], y[val], w[val])


# Entries per call of BLAS's i?amax, whose counts are 32-bit integers.
_AMAX_CHUNK = 1 << 30


def largest_magnitude(X):
    """``max |x|`` over the entries of dense or sparse ``X`` (0 if empty): one
    pass over ``X``, without a copy (BLAS's ``i?amax`` over its entries, for
    float32 and float64 data in one block of memory)."""
    from scipy.linalg import blas

    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return 0.0
    amax = {np.float32: blas.isamax, np.float64: blas.idamax}.get(values.dtype.type)
    if amax is None or not (values.flags.c_contiguous or values.flags.f_contiguous):
        return float(max(values.max(), -values.min()))
    flat = values.ravel(order="K")  # a view
    largest = 0.0
    for start in range(0, flat.size, _AMAX_CHUNK):
        chunk = flat[start : start + _AMAX_CHUNK]
        largest = max(largest, abs(float(chunk[amax(chunk)])))
    return largest


def warn_not_converged(result, *, solver, max_iter, tol_stops, X, scale=None):
    """A ConvergenceWarning saying why ``result`` ended and what to try;
    ``tol_stops`` says whether ``tol`` ends the run early (early stopping, the
    minibatch solvers), ``X`` is the training data, ``scale`` its largest
    magnitude when known (a Dask fit computes it on the workers)."""
    if result.status == "max_iter":
        reason = f"the maximum of {max_iter} iterations was reached"
        advice = "Raise max_iter to train further"
        if tol_stops:
            advice += ", or raise tol to stop earlier"
    else:
        reason = f"the solver stopped: {result.message}"
        advice = "Try another solver"
    # Scaling only helps data far from unit scale (pixels in [0, 1] are not).
    if scale is None:
        scale = largest_magnitude(X)
    if scale > 10:
        advice += (
            f", or scale the data (its largest absolute value is {scale:.3g}; "
            "for example with MinMaxScaler)"
        )
    warnings.warn(f"{solver} did not converge: {reason}. {advice}.", ConvergenceWarning)
