"""One optimizer driver for every backend.

The driver knows a single function, ``loss_and_grad(theta, rows=None) -> (loss,
grad)``, and walks ``theta`` downhill with it: full batch through
:func:`scipy.optimize.minimize` (L-BFGS-B, nonlinear conjugate gradient, truncated
Newton), or minibatch SGD / Adam loops. After every iteration (an epoch for the
minibatch solvers) it calls ``on_iteration(theta, loss)``, which records the
loss curve, reports progress and may ask to stop by returning True.

BLAS threads
------------
The solvers' own work is vector arithmetic on ``theta`` (SciPy's L-BFGS-B and
CG call BLAS dot products and updates on it). OpenBLAS spreads such a call over
its threads from about 10000 entries on -- the course network
has 10285 parameters -- and the thread wake-ups then cost far more than the
arithmetic: ``benchmarks/bench_threads.py`` measured SciPy's L-BFGS-B tens of
times slower per iteration on two threads than on one, on a busy 2-core machine.
The driver therefore runs the solvers on one BLAS thread. Evaluations of the
objective get the caller's thread count back, unless the objective declares
(``multiply_adds``) that its matrix products are too small for threads to pay:
then the whole fit runs on one thread. ``threadpoolctl.threadpool_limits`` set
by the caller is respected: the driver never raises a thread count.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize
from threadpoolctl import ThreadpoolController

# Objectives whose matrix products do fewer multiply-adds than this per
# evaluation run them on one BLAS thread: a single thread wake-up stalled behind
# another process costs more than threads can save on products of a few
# milliseconds (see benchmarks/bench_threads.py).
SMALL_WORK = 100_000_000

FULL_BATCH_SOLVERS = {"lbfgs": "L-BFGS-B", "cg": "CG", "tnc": "TNC"}
MINIBATCH_SOLVERS = ("sgd", "adam")
SOLVERS = (*FULL_BATCH_SOLVERS, *MINIBATCH_SOLVERS)


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


_BLAS = None


def _blas_controller():
    # Finding the loaded BLAS libraries takes milliseconds: do it once.
    global _BLAS
    if _BLAS is None:
        _BLAS = ThreadpoolController().select(user_api="blas")
    return _BLAS


class _BlasThreads:
    """One BLAS thread for the solver; the caller's threads for big evaluations.

    Used as a context manager around a solver run; ``evaluation()`` wraps each
    call of the objective. ``work`` is the objective's multiply-adds per call,
    or None when unknown (then evaluations get the caller's threads back).
    Fits running concurrently in Python threads are safe with threadpoolctl:
    OpenMP limits are per thread, and OpenBLAS's process-wide pthreads limit
    only takes orders from one controlling thread.
    """

    def __init__(self, work):
        self._threaded_evaluations = work is None or work >= SMALL_WORK
        self._limiter = None

    def __enter__(self):
        self._limiter = _blas_controller().limit(limits=1)
        return self

    def __exit__(self, *exc_info):
        self._limiter.restore_original_limits()

    @contextmanager
    def evaluation(self):
        if not self._threaded_evaluations:
            yield
            return
        self._limiter.restore_original_limits()
        try:
            yield
        finally:
            self._limiter = _blas_controller().limit(limits=1)


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
def minimize_full_batch(
    loss_and_grad, theta0, *, solver, max_iter, tol, on_iteration, dtype=np.float64
):
    """Minimise with ``scipy.optimize.minimize(jac=True)``.

    The iteration limit is enforced through the callback for every method, so
    ``max_iter`` means the same thing for L-BFGS-B, CG and TNC (SciPy's TNC has
    no iteration limit of its own, only one on function evaluations).

    ``dtype`` is the precision the objective computes in. TNC builds
    Hessian-vector products from finite differences of the gradient, with a
    step sized for float64; with a float32 objective that step drowns in
    rounding noise (measured: 43 iterations, then "Linear search failed" at a
    loss 50% above float64's), so its relative accuracy is set to
    ``sqrt(eps)`` of the objective's dtype.
    """
    last = {"theta": None, "loss": None}
    threads = _BlasThreads(getattr(loss_and_grad, "multiply_adds", None))

    def fun(theta):
        with threads.evaluation():
            loss, grad = loss_and_grad(theta)
        last["theta"], last["loss"] = theta.copy(), loss
        return loss, grad

    progress = {"n_iter": 0, "theta": np.array(theta0, dtype=np.float64), "loss": None}

    def callback(xk, *args):
        # The accepted iterate is almost always the last point evaluated.
        if last["theta"] is not None and np.array_equal(xk, last["theta"]):
            loss = last["loss"]
        else:
            with threads.evaluation():
                loss = loss_and_grad(xk)[0]
        check_finite(loss, xk)
        progress["n_iter"] += 1
        progress["theta"], progress["loss"] = xk.copy(), loss
        if on_iteration(xk, loss):
            raise _Stop("stopped")
        if progress["n_iter"] >= max_iter:
            raise _Stop("max_iter")

    method = FULL_BATCH_SOLVERS[solver]
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
        with threads:
            res = minimize(
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
def minimize_minibatch(
    loss_and_grad,
    theta0,
    *,
    solver,
    n_samples,
    batch_size,
    learning_rate,
    max_iter,
    tol,
    n_iter_no_change,
    shuffle,
    random_state,
    on_iteration,
    momentum=0.9,
    nesterovs_momentum=True,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-8,
    state=None,
):
    """Minibatch SGD (with momentum / Nesterov) or Adam, one epoch an iteration.

    ``state`` carries the optimizer's moments across calls (``partial_fit``,
    warm starts). Training stops, as converged, once the epoch loss has not
    improved by at least ``tol`` for ``n_iter_no_change`` consecutive epochs;
    pass ``n_iter_no_change=None`` to leave stopping to ``on_iteration``.
    """
    theta = np.array(theta0, dtype=np.float64)
    state = {} if state is None else {k: np.copy(v) for k, v in state.items()}
    if solver == "adam":
        m = state.setdefault("m", np.zeros_like(theta))
        v = state.setdefault("v", np.zeros_like(theta))
        t = int(state.get("t", 0))
    else:
        velocity = state.setdefault("velocity", np.zeros_like(theta))
    batch_size = min(batch_size, n_samples)
    order = np.arange(n_samples)
    best_loss, n_stall = np.inf, 0

    work = getattr(loss_and_grad, "multiply_adds", None)
    threads = _BlasThreads(None if work is None else work * batch_size / n_samples)
    # The optimizer's state at the end of the last completed epoch, handed to
    # the caller with a KeyboardInterrupt (whose weights are that epoch's).
    completed = {k: np.copy(v) for k, v in state.items()}
    with threads, interrupt_carries(completed):
        for epoch in range(max_iter):
            if shuffle:
                random_state.shuffle(order)
            total = 0.0
            for start in range(0, n_samples, batch_size):
                rows = order[start : start + batch_size]
                with threads.evaluation():
                    loss, grad = loss_and_grad(theta, rows)
                total += loss * len(rows)
                if solver == "adam":
                    t += 1
                    m *= beta_1
                    m += (1 - beta_1) * grad
                    v *= beta_2
                    v += (1 - beta_2) * grad**2
                    step = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
                    theta -= step * m / (np.sqrt(v) + epsilon)
                else:
                    velocity *= momentum
                    velocity -= learning_rate * grad
                    if nesterovs_momentum:
                        theta += momentum * velocity - learning_rate * grad
                    else:
                        theta += velocity
            epoch_loss = total / n_samples
            check_finite(epoch_loss, theta)
            if solver == "adam":
                state["t"] = t
            completed.clear()
            completed.update({k: np.copy(v) for k, v in state.items()})
            if on_iteration(theta, epoch_loss):
                return OptimizeResult(
                    theta, epoch_loss, epoch + 1, "stopped", state=state
                )
            if n_iter_no_change is not None:
                n_stall = n_stall + 1 if epoch_loss > best_loss - tol else 0
                best_loss = min(best_loss, epoch_loss)
                if n_stall >= n_iter_no_change:
                    return OptimizeResult(
                        theta, epoch_loss, epoch + 1, "converged", state=state
                    )
        return OptimizeResult(theta, epoch_loss, max_iter, "max_iter", state=state)
