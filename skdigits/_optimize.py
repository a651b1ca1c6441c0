"""One optimizer driver for every backend.

The driver knows a single function, the objective ``(theta, rows=None,
workers=1) -> (loss, grad)`` with its ``n_samples``, ``dtype`` and
``multiply_adds``, and an epoch of minibatch steps ``descend``
(:class:`skdigits._backends.Objective`), and walks
``theta`` downhill with it:
full batch through :func:`scipy.optimize.minimize` (L-BFGS-B, nonlinear
conjugate gradient, truncated Newton), or minibatch SGD / Adam loops. After
every iteration (an epoch for the minibatch solvers) it calls
``on_iteration(theta, loss)``, which records the loss curve, reports progress
and may ask to stop by returning True.

Settings travel as small frozen dataclasses: a *method* (:class:`FullBatch`,
:class:`SGD` or :class:`Adam`), built from a solver name by
:func:`make_method`, and a :class:`Schedule`. :func:`minimize` is the one
entry. :class:`Stall` is the one stopping rule, used by the minibatch solvers'
convergence test and by the estimator's early stopping. This module is the
only place that compares solver names.

BLAS threads
------------
A run holds BLAS at one thread, and hands the objective the number of Python
threads a full-batch evaluation's row blocks may run on
(:func:`skdigits._threads.evaluation_workers`); minibatches run in the calling
thread (for Dask arrays, in the worker that holds their chunk).
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from skdigits._threads import evaluation_workers, one_blas_thread

FULL_BATCH_SOLVERS = {"lbfgs": "L-BFGS-B", "cg": "CG", "tnc": "TNC"}
MINIBATCH_SOLVERS = ("sgd", "adam")
SOLVERS = (*FULL_BATCH_SOLVERS, *MINIBATCH_SOLVERS)


@dataclass(frozen=True)
class FullBatch:
    """A full-batch method of :func:`scipy.optimize.minimize`: ``'lbfgs'``,
    ``'cg'`` or ``'tnc'``."""

    solver: str
    minibatch = False


@dataclass(frozen=True)
class SGD:
    """Minibatch SGD with momentum, optionally Nesterov's."""

    learning_rate: float = 0.001
    momentum: float = 0.9
    nesterov: bool = True
    minibatch = True

    def init_state(self, theta):
        return {"velocity": np.zeros_like(theta)}

    def update(self, theta, grad, state):
        """One step, in place on ``theta`` and ``state``; ``grad`` is
        overwritten (no temporary array: see ``Objective.steps``)."""
        velocity = state["velocity"]
        step = np.multiply(grad, self.learning_rate, out=grad)
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:
            theta -= step
            step = np.multiply(velocity, self.momentum, out=step)
            theta += step
        else:
            theta += velocity


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma and Ba), with bias-corrected moments."""

    learning_rate: float = 0.001
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    minibatch = True

    def init_state(self, theta):
        return {"m": np.zeros_like(theta), "v": np.zeros_like(theta), "t": 0}

    def update(self, theta, grad, state):
        """One step, in place on ``theta`` and ``state``; ``grad`` is
        overwritten (no temporary array: see ``Objective.steps``)."""
        m, v = state["m"], state["v"]
        state["t"] = t = int(state["t"]) + 1
        # m = g + beta_1 (m - g), that is beta_1 m + (1 - beta_1) g, and v
        # likewise with g^2, in place: the vectors have one entry per weight,
        # and a temporary per operation costs more than the arithmetic.
        m -= grad
        m *= self.beta_1
        m += grad
        g2 = np.square(grad, out=grad)
        v -= g2
        v *= self.beta_2
        v += g2
        step = self.learning_rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        denominator = np.sqrt(v, out=grad)
        denominator += self.epsilon
        ratio = np.divide(m, denominator, out=grad)
        ratio *= step
        theta -= ratio


def make_method(solver, *, learning_rate, momentum, nesterov, beta_1, beta_2, epsilon):
    """The method config of a solver name (one of :data:`SOLVERS`)."""
    if solver in FULL_BATCH_SOLVERS:
        return FullBatch(solver)
    if solver == "sgd":
        return SGD(learning_rate, momentum, nesterov)
    if solver == "adam":
        return Adam(learning_rate, beta_1, beta_2, epsilon)
    raise ValueError(f"Unknown solver {solver!r}; expected one of {SOLVERS}.")


@dataclass(frozen=True)
class Schedule:
    """How long to run: ``max_iter`` iterations (epochs); for the minibatch
    methods, batches of ``batch_size`` rows (None: ``min(200, n)``), shuffled
    every epoch, and convergence once the epoch loss has not improved by
    ``tol`` for ``n_iter_no_change`` epochs (None: no such test). ``tol`` is
    the gradient tolerance of the full-batch methods."""

    max_iter: int
    tol: float = 1e-4
    n_iter_no_change: int | None = 10
    batch_size: int | None = None
    shuffle: bool = True


class Stall:
    """The stopping rule: stalled after ``patience`` values in a row that do
    not improve on the best by at least ``tol``.

    ``update(value)`` records a value and returns True once stalled; with
    ``higher_is_better`` (validation scores) improvement means larger.
    """

    def __init__(self, tol, patience, *, higher_is_better=False):
        self.tol, self.patience = tol, patience
        self.sign = 1.0 if higher_is_better else -1.0
        self.best, self.count = -np.inf, 0

    def update(self, value):
        value = self.sign * value
        self.count = self.count + 1 if value < self.best + self.tol else 0
        self.best = max(self.best, value)
        return self.count >= self.patience


def minimize(
    objective, theta0, method, schedule, *, on_iteration, rng=None, state=None
):
    """Minimise ``objective`` from ``theta0`` with ``method`` and ``schedule``.

    ``rng`` (a ``RandomState``) shuffles the minibatches; ``state`` carries a
    minibatch method's moments across calls (``partial_fit``, warm starts).
    Returns an :class:`OptimizeResult`.
    """
    with one_blas_thread() as caller_threads:
        if method.minibatch:
            return _minimize_minibatch(
                objective, theta0, method, schedule, on_iteration, rng, state
            )
        workers = evaluation_workers(objective.multiply_adds, caller_threads)
        return _minimize_full_batch(
            objective, theta0, method, schedule, on_iteration, workers
        )


@dataclass
class OptimizeResult:
    """What a run of the driver produced.

    ``status`` is ``"converged"`` (the solver's own criterion), ``"stopped"``
    (``on_iteration`` asked to stop), ``"max_iter"``, ``"failed"`` (the solver
    gave up, ``message`` says why), or ``"interrupted"`` (Ctrl-C; set by the
    estimator, which keeps the last completed iteration).
    """

    theta: np.ndarray
    loss: float
    n_iter: int
    status: str
    message: str = ""
    state: dict = field(default_factory=dict)


@contextmanager
def interrupt_carries(optimizer_state):
    """Attach ``optimizer_state`` to a KeyboardInterrupt raised inside.

    The estimator keeps the last completed iteration's weights after Ctrl-C;
    with this it also keeps the optimizer's moments of that iteration, so a
    warm start continues as it would have without the interrupt.
    """
    try:
        yield
    except KeyboardInterrupt as exc:
        exc.optimizer_state = optimizer_state
        raise


class _Stop(Exception):
    def __init__(self, status):
        self.status = status


def check_finite(loss, theta):
    if not np.isfinite(loss) or not np.all(np.isfinite(theta)):
        raise ValueError(
            "The solver produced non-finite weights or loss. The input data may "
            "contain very large values and need scaling (for example with "
            "MinMaxScaler), or the learning rate may be too large."
        )


# Overflow shows up as a non-finite loss or weights, reported by check_finite.
@np.errstate(over="ignore", invalid="ignore")
def _minimize_full_batch(
    loss_and_grad, theta0, method, schedule, on_iteration, workers
):
    """Minimise with ``scipy.optimize.minimize(jac=True)``.

    The iteration limit is enforced through the callback for every method, so
    ``max_iter`` means the same thing for L-BFGS-B, CG and TNC (SciPy's TNC has
    no iteration limit of its own, only one on function evaluations).

    The objective's ``dtype`` is the precision it computes in. TNC builds
    Hessian-vector products from finite differences of the gradient, with a
    step sized for float64; with a float32 objective that step drowns in
    rounding noise (a fit stopped early with "Linear search failed";
    benchmarks/RESULTS.md, "Design measurements"), so its relative accuracy is
    set to ``sqrt(eps)`` of the objective's dtype.
    """
    max_iter, tol, dtype = schedule.max_iter, schedule.tol, loss_and_grad.dtype
    last = {"theta": None, "loss": None}

    def fun(theta):
        loss, grad = loss_and_grad(theta, workers=workers)
        last["theta"], last["loss"] = theta.copy(), loss
        return loss, grad

    progress = {"n_iter": 0, "theta": np.array(theta0, dtype=np.float64), "loss": None}

    def callback(xk, *args):
        # The accepted iterate is almost always the last point evaluated.
        if last["theta"] is not None and np.array_equal(xk, last["theta"]):
            loss = last["loss"]
        else:
            loss = loss_and_grad(xk, workers=workers)[0]
        check_finite(loss, xk)
        progress["n_iter"] += 1
        progress["theta"], progress["loss"] = xk.copy(), loss
        if on_iteration(xk, loss):
            raise _Stop("stopped")
        if progress["n_iter"] >= max_iter:
            raise _Stop("max_iter")

    method = FULL_BATCH_SOLVERS[method.solver]
    options = {"gtol": tol}
    if method == "TNC":
        options.update(maxfun=100 * max_iter + 1000, ftol=0.0)
        if np.finfo(dtype).eps > np.finfo(np.float64).eps:
            options["accuracy"] = float(np.sqrt(np.finfo(dtype).eps))
    else:
        # One more than max_iter, so that the callback, not SciPy, ends the run.
        options.update(maxiter=max_iter + 1)
        if method == "L-BFGS-B":
            options["ftol"] = 64 * np.finfo(np.float64).eps
    try:
        res = scipy.optimize.minimize(
            fun,
            progress["theta"],
            jac=True,
            method=method,
            callback=callback,
            options=options,
        )
    except _Stop as stop:
        return OptimizeResult(
            progress["theta"], float(progress["loss"]), progress["n_iter"], stop.status
        )
    theta, loss = np.asarray(res.x, dtype=np.float64), float(res.fun)
    check_finite(loss, theta)
    status = "converged" if res.success else "failed"
    return OptimizeResult(theta, loss, progress["n_iter"], status, str(res.message))


@np.errstate(over="ignore", invalid="ignore")
def _minimize_minibatch(
    loss_and_grad, theta0, method, schedule, on_iteration, rng, state
):
    """Minibatch SGD or Adam, one epoch an iteration: the objective runs the
    epoch's steps where its data lives (``objective.descend``, over the
    batches of ``objective.batches(batch_size, rng, shuffle)``).

    Training stops, as converged, once the epoch loss stalls (:class:`Stall`
    with ``schedule.tol`` and ``n_iter_no_change``; None leaves stopping to
    ``on_iteration``).
    """
    theta = np.array(theta0, dtype=np.float64)
    # Moments carried over from an earlier call, where they are this method's.
    fresh, state = method.init_state(theta), state or {}
    state = {k: np.copy(state[k]) if k in state else v for k, v in fresh.items()}
    n_samples = loss_and_grad.n_samples
    batch_size = min(schedule.batch_size or 200, n_samples)
    stall = None
    if schedule.n_iter_no_change is not None:
        stall = Stall(schedule.tol, schedule.n_iter_no_change)
    # The optimizer's state at the end of the last completed epoch, handed to
    # the caller with a KeyboardInterrupt (whose weights are that epoch's).
    completed = {k: np.copy(v) for k, v in state.items()}
    with interrupt_carries(completed):
        for epoch in range(schedule.max_iter):
            total = loss_and_grad.descend(
                theta, method, state, batch_size, rng, schedule.shuffle
            )
            epoch_loss = total / n_samples
            check_finite(epoch_loss, theta)
            completed.clear()
            completed.update({k: np.copy(v) for k, v in state.items()})
            status = None
            if on_iteration(theta, epoch_loss):
                status = "stopped"
            elif stall is not None and stall.update(epoch_loss):
                status = "converged"
            if status is not None:
                return OptimizeResult(theta, epoch_loss, epoch + 1, status, state=state)
        return OptimizeResult(
            theta, epoch_loss, schedule.max_iter, "max_iter", state=state
        )
