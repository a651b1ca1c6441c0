import numpy as np
import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

from skdigits._optimize import SMALL_WORK, minimize_full_batch, minimize_minibatch

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
    """0.5 ||theta - 1||^2, recording the BLAS threads each evaluation had."""

    def __init__(self, multiply_adds=None):
        if multiply_adds is not None:
            self.multiply_adds = multiply_adds
        self.threads = []

    def __call__(self, theta, rows=None):
        self.threads.append(_blas_threads())
        r = theta - 1
        return 0.5 * float(r @ r), r.copy()


@pytest.mark.parametrize("solver", ["lbfgs", "cg", "tnc"])
@pytest.mark.parametrize(
    "work, eval_threads", [(None, 2), (SMALL_WORK, 2), (SMALL_WORK - 1, 1)]
)
def test_full_batch_solver_runs_on_one_blas_thread(solver, work, eval_threads):
    objective, solver_threads = _Quadratic(work), []

    def on_iteration(theta, loss):
        solver_threads.append(_blas_threads())
        return False

    with threadpool_limits(2, user_api="blas"):
        result = minimize_full_batch(
            objective,
            np.zeros(20000),
            solver=solver,
            max_iter=5,
            tol=1e-10,
            on_iteration=on_iteration,
        )
        assert _blas_threads() == 2  # the caller's limits are back
    np.testing.assert_allclose(result.theta, 1, atol=1e-6)
    assert set(solver_threads) == {1}
    assert set(objective.threads) == {eval_threads}


def test_driver_never_raises_the_callers_limit():
    objective = _Quadratic()
    with threadpool_limits(1, user_api="blas"):
        minimize_full_batch(
            objective,
            np.zeros(50),
            solver="lbfgs",
            max_iter=3,
            tol=0,
            on_iteration=lambda theta, loss: False,
        )
    assert set(objective.threads) == {1}


@pytest.mark.parametrize("work, eval_threads", [(None, 2), (10 * SMALL_WORK, 2)])
def test_minibatch_evaluations_follow_the_batch_work(work, eval_threads):
    # 10 * SMALL_WORK for the full data is SMALL_WORK for a tenth of it.
    objective = _Quadratic(work)
    with threadpool_limits(2, user_api="blas"):
        minimize_minibatch(
            objective,
            np.zeros(30),
            solver="adam",
            n_samples=100,
            batch_size=10,
            learning_rate=0.01,
            max_iter=2,
            tol=0,
            n_iter_no_change=None,
            shuffle=True,
            random_state=np.random.RandomState(0),
            on_iteration=lambda theta, loss: False,
        )
        assert _blas_threads() == 2
    assert set(objective.threads) == {eval_threads}
    small = _Quadratic(SMALL_WORK)  # a tenth of it per batch: one thread
    with threadpool_limits(2, user_api="blas"):
        minimize_minibatch(
            small,
            np.zeros(30),
            solver="sgd",
            n_samples=100,
            batch_size=10,
            learning_rate=0.01,
            max_iter=1,
            tol=0,
            n_iter_no_change=None,
            shuffle=False,
            random_state=np.random.RandomState(0),
            on_iteration=lambda theta, loss: False,
        )
    assert set(small.threads) == {1}
