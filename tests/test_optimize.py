"""The optimizer driver on toy objectives: statuses, update rules, threads."""

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

from skdigits._optimize import (
    SGD,
    Adam,
    FullBatch,
    Schedule,
    Stall,
    minimize,
)
from skdigits._threads import SMALL_WORK

pytestmark = pytest.mark.skipif(
    not ThreadpoolController().select(user_api="blas").lib_controllers,
    reason="threadpoolctl finds no BLAS library to control",
)


def _blas_threads():
    return max(
        lib.num_threads
        for lib in ThreadpoolController().select(user_api="blas").lib_controllers
    )


class _Quadratic:
    """0.5 ||theta - 1||^2, recording the BLAS threads and the workers each
    evaluation had."""

    dtype = np.dtype(np.float64)

    def __init__(self, multiply_adds=None, n_samples=100):
        self.multiply_adds, self.n_samples = multiply_adds, n_samples
        self.threads, self.workers = [], []

    def batches(self, batch_size, rng, shuffle):
        order = np.arange(self.n_samples)
        if shuffle:
            rng.shuffle(order)
        for start in range(0, self.n_samples, batch_size):
            yield order[start : start + batch_size]

    def descend(self, theta, method, state, batch_size, rng, shuffle):
        total = 0.0
        for rows in self.batches(batch_size, rng, shuffle):
            loss, grad = self(theta, rows)
            total += loss * len(rows)
            method.update(theta, grad, state)
        return total

    def __call__(self, theta, rows=None, workers=1):
        self.threads.append(_blas_threads())
        self.workers.append(workers)
        r = theta - 1
        # np.sum, not a BLAS dot product, so that thread counts cost it nothing.
        return 0.5 * float(np.sum(r * r)), r.copy()


# ------------------------------------------------- the driver on a toy objective


class _Bowl(_Quadratic):
    """0.5 ||theta - 1||^2 as a mean over 10 rows, each row's share equal."""

    def __call__(self, theta, rows=None, workers=1):
        return super().__call__(theta, workers=workers)


@pytest.mark.parametrize(
    "method", [FullBatch("lbfgs"), FullBatch("cg"), FullBatch("tnc")]
)
def test_full_batch_statuses(method):
    never = lambda theta, loss: False  # noqa: E731
    done = minimize(
        _Bowl(), np.zeros(5), method, Schedule(200, tol=1e-8), on_iteration=never
    )
    assert done.status == "converged"
    np.testing.assert_allclose(done.theta, 1, atol=1e-6)
    capped = minimize(
        _Bowl(), np.full(5, 50.0), method, Schedule(1, tol=0), on_iteration=never
    )
    assert capped.status == "max_iter" and capped.n_iter == 1
    stopped = minimize(
        _Bowl(),
        np.full(5, 50.0),
        method,
        Schedule(50, tol=0),
        on_iteration=lambda theta, loss: True,
    )
    assert stopped.status == "stopped" and stopped.n_iter == 1


@pytest.mark.parametrize("method", [SGD(0.1), Adam(0.1)])
def test_minibatch_statuses(method):
    never = lambda theta, loss: False  # noqa: E731
    rng = np.random.RandomState(0)
    done = minimize(
        _Bowl(n_samples=10),
        np.zeros(5),
        method,
        Schedule(500, tol=1e-6, n_iter_no_change=5, batch_size=5),
        on_iteration=never,
        rng=rng,
    )
    assert done.status == "converged" and done.n_iter < 500
    assert done.loss < 0.1 * 2.5  # from 0.5 * ||0 - 1||^2 over 5 entries
    capped = minimize(
        _Bowl(n_samples=10),
        np.zeros(5),
        method,
        Schedule(3, n_iter_no_change=None, batch_size=5),
        on_iteration=never,
        rng=rng,
    )
    assert capped.status == "max_iter" and capped.n_iter == 3


def test_non_finite_loss_fails_clearly():
    class Diverges(_Bowl):
        def __call__(self, theta, rows=None, workers=1):
            return float("nan"), np.full_like(theta, np.nan)

    with pytest.raises(ValueError, match="non-finite"):
        minimize(
            Diverges(n_samples=10),
            np.zeros(3),
            Adam(0.1),
            Schedule(2, batch_size=5),
            on_iteration=lambda theta, loss: False,
            rng=np.random.RandomState(0),
        )


def test_update_rules_match_a_hand_computation():
    # update() takes the gradient as its scratch: a copy each time.
    theta, grad = np.array([1.0, -2.0]), np.array([0.5, -1.0])
    sgd = SGD(learning_rate=0.1, momentum=0.9, nesterov=False)
    t, state = theta.copy(), sgd.init_state(theta)
    sgd.update(t, grad.copy(), state)
    sgd.update(t, grad.copy(), state)
    # v1 = -0.1 g, v2 = 0.9 v1 - 0.1 g = -0.19 g; theta - 0.1 g - 0.19 g
    np.testing.assert_allclose(t, theta - 0.29 * grad)
    nesterov = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    t, state = theta.copy(), nesterov.init_state(theta)
    nesterov.update(t, grad.copy(), state)
    # v1 = -0.1 g; step = 0.9 v1 - 0.1 g = -0.19 g
    np.testing.assert_allclose(t, theta - 0.19 * grad)
    adam = Adam(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    t, state = theta.copy(), adam.init_state(theta)
    adam.update(t, grad.copy(), state)
    # First step: m_hat = g, v_hat = g**2, so the step is lr * sign(g).
    np.testing.assert_allclose(t, theta - 0.01 * np.sign(grad), rtol=1e-6)
    assert state["t"] == 1


def test_stall_rule():
    stall = Stall(tol=0.1, patience=2)
    assert [stall.update(v) for v in [1.0, 0.5, 0.45, 0.42]] == [
        False,
        False,
        False,
        True,
    ]
    higher = Stall(tol=0.05, patience=1, higher_is_better=True)
    assert [higher.update(v) for v in [0.5, 0.6, 0.6]] == [False, False, True]


def _never(theta, loss):
    return False


@pytest.mark.parametrize(
    "work, workers", [(None, 1), (SMALL_WORK - 1, 1), (SMALL_WORK, 2)]
)
def test_full_batch_runs_on_one_blas_thread_and_hands_over_workers(work, workers):
    # The solver and every evaluation run with BLAS on one thread; large
    # evaluations get the caller's count as Python threads, explicitly.
    objective = _Quadratic(multiply_adds=work)
    with threadpool_limits(2, user_api="blas"):
        minimize(
            objective, np.zeros(5), FullBatch("lbfgs"), Schedule(5), on_iteration=_never
        )
        assert _blas_threads() == 2  # the caller's limit is back
    assert set(objective.threads) == {1}
    assert set(objective.workers) == {workers}


def test_workers_never_exceed_the_callers_limit():
    objective = _Quadratic(multiply_adds=10 * SMALL_WORK)
    with threadpool_limits(1, user_api="blas"):
        minimize(
            objective, np.zeros(5), FullBatch("cg"), Schedule(5), on_iteration=_never
        )
    assert set(objective.workers) == {1}


def test_minibatches_run_in_the_calling_thread_on_one_blas_thread():
    objective = _Bowl(multiply_adds=10 * SMALL_WORK, n_samples=10)
    with threadpool_limits(2, user_api="blas"):
        minimize(
            objective,
            np.zeros(5),
            Adam(0.1),
            Schedule(3, batch_size=5),
            on_iteration=_never,
            rng=np.random.RandomState(0),
        )
    assert set(objective.threads) == {1} and set(objective.workers) == {1}
