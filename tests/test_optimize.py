import multiprocessing
import os

import numpy as np
import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

from skdigits import _threads
from skdigits._optimize import (
    SGD,
    Adam,
    FullBatch,
    Schedule,
    Stall,
    minimize,
)
from skdigits._threads import (
    FIRST_SEGMENT,
    SEGMENT_WORK,
    SMALL_WORK,
    ThreadChooser,
)

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

    dtype = np.dtype(np.float64)

    def __init__(self, multiply_adds=None, n_samples=100):
        self.multiply_adds, self.n_samples = multiply_adds, n_samples
        self.threads = []

    def __call__(self, theta, rows=None):
        self.threads.append(_blas_threads())
        r = theta - 1
        # np.sum, not a BLAS dot product, so that thread counts cost it nothing.
        return 0.5 * float(np.sum(r * r)), r.copy()


class _SimulatedClock:
    """The driver's clock, advanced only by the objectives below."""

    now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """A simulated clock, no thread timings remembered from earlier fits, and
    the machine's load unknown (trials of threads always allowed)."""
    simulated = _SimulatedClock()
    monkeypatch.setattr(_threads, "clock", simulated)
    monkeypatch.setattr(_threads, "cpu_times", lambda: None)
    monkeypatch.setattr(_threads, "_TIMES_BY_SIZE", {})
    return simulated


class _Timed(_Quadratic):
    """The quadratic, taking ``delays[threads]`` simulated seconds per call."""

    def __init__(self, clock, delays, multiply_adds=SEGMENT_WORK, n_samples=100):
        super().__init__(multiply_adds, n_samples)
        self.clock, self.delays = clock, delays

    def __call__(self, theta, rows=None):
        result = super().__call__(theta, rows)
        self.clock.now += self.delays[self.threads[-1]]
        return result


def _full_batch(objective, solver="lbfgs", max_iter=12, size=20000):
    solver_threads = []

    def on_iteration(theta, loss):
        solver_threads.append(_blas_threads())
        return False

    result = minimize(
        objective,
        np.zeros(size),
        FullBatch(solver),
        Schedule(max_iter=max_iter, tol=0),
        on_iteration=on_iteration,
    )
    return result, solver_threads


def _runs(counts):
    """``[(count, run length), ...]`` of a sequence of thread counts."""
    runs = []
    for c in counts:
        if runs and runs[-1][0] == c:
            runs[-1][1] += 1
        else:
            runs.append([c, 1])
    return [tuple(r) for r in runs]


@pytest.mark.parametrize("solver", ["lbfgs", "cg", "tnc"])
@pytest.mark.parametrize("faster", [1, 2])
def test_full_batch_evaluations_run_on_the_measured_faster_count(clock, solver, faster):
    objective = _Timed(clock, {faster: 0.001, 3 - faster: 0.002})
    with threadpool_limits(2, user_api="blas"):
        result, solver_threads = _full_batch(objective, solver)
        assert _blas_threads() == 2  # the caller's limits are back
    np.testing.assert_allclose(result.theta, 1, atol=1e-6)
    assert set(solver_threads) == {1}  # SciPy's own work: one thread
    counts = objective.threads
    # One thread first, two tried next (the first evaluation after a switch
    # untimed); from then on the faster, but for trials.
    assert counts[:3] == [1, 2, 2]
    later = counts[3:]
    assert later.count(faster) >= len(later) - 4


@pytest.mark.parametrize("work, eval_threads", [(None, 2), (SMALL_WORK - 1, 1)])
def test_evaluations_without_measuring(work, eval_threads):
    # No BLAS work declared (the Keras objective): the caller's threads;
    # products too small for threads to pay: one thread, never switched.
    objective = _Quadratic(work)
    with threadpool_limits(2, user_api="blas"):
        _, solver_threads = _full_batch(objective, max_iter=5)
    assert set(solver_threads) == {1}
    assert set(objective.threads) == {eval_threads}


def test_driver_never_raises_the_callers_limit(clock):
    objective = _Timed(clock, {1: 0.002, 2: 0.001})  # two threads would win
    with threadpool_limits(1, user_api="blas"):
        _full_batch(objective, max_iter=6, size=50)
    assert set(objective.threads) == {1}


def _adam(objective, epochs, batch_size=10, shuffle=True):
    minimize(
        objective,
        np.zeros(30),
        Adam(learning_rate=0.01),
        Schedule(
            max_iter=epochs,
            tol=0,
            n_iter_no_change=None,
            batch_size=batch_size,
            shuffle=shuffle,
        ),
        rng=np.random.RandomState(0),
        on_iteration=lambda theta, loss: False,
    )


@pytest.mark.parametrize("faster", [1, 2])
def test_minibatch_evaluations_run_on_the_measured_faster_count(clock, faster):
    # The work per batch is a tenth of the declared work (10 batches): each
    # batch is a segment of its own.
    objective = _Timed(clock, {faster: 0.001, 3 - faster: 0.002}, 10 * SEGMENT_WORK)
    with threadpool_limits(2, user_api="blas"):
        _adam(objective, epochs=3)
        assert _blas_threads() == 2
    counts = objective.threads
    assert len(counts) == 30
    assert counts[:3] == [1, 2, 2]
    assert counts[3:].count(faster) >= 27 - 6
    small = _Quadratic(10 * SMALL_WORK - 1)  # under SMALL_WORK per batch
    with threadpool_limits(2, user_api="blas"):
        _adam(small, epochs=1, shuffle=False)
    assert set(small.threads) == {1}


@pytest.mark.parametrize("faster", [1, 2])
def test_a_trial_of_long_evaluations_takes_one(clock, faster):
    # Evaluations of SEGMENT_WORK each (a full batch of 100 rows, 40 times):
    # only the first ever on a count goes untimed; a later trial of the
    # slower count is timed from its first evaluation, so it costs one.
    objective = _Timed(clock, {faster: 0.001, 3 - faster: 0.002})
    with threadpool_limits(2, user_api="blas"):
        _adam(objective, epochs=40, batch_size=100, shuffle=False)
    counts = objective.threads
    assert counts[:3] == [1, 2, 2]
    trials = [n for c, n in _runs(counts[3:]) if c != faster]
    assert len(trials) >= 2 and set(trials) == {1}


@pytest.mark.parametrize("faster", [1, 2])
def test_short_evaluations_are_timed_in_segments(clock, faster):
    # Each batch does a fifth of SEGMENT_WORK: the leader runs segments of 5
    # batches; a trial of the slower count ends after its first timed batch
    # (the one after the switch is not timed).
    delays = {faster: 0.001, 3 - faster: 0.004}
    objective = _Timed(clock, delays, 50 * SEGMENT_WORK // 5)
    with threadpool_limits(2, user_api="blas"):
        _adam(objective, epochs=20, batch_size=2)  # 1000 batches
    runs = _runs(objective.threads)
    assert runs[0] == (1, FIRST_SEGMENT)  # a count's first segment is short
    slow = [n for c, n in runs if c != faster]
    fast = [n for c, n in runs if c == faster]
    assert set(slow[1:] if faster == 2 else slow) == {2}
    assert min(fast[1:-1]) >= 5 and sum(fast) >= 975


def test_thread_chooser_follows_a_change_of_load():
    chooser = ThreadChooser((1, 2), retry_every=4)
    quiet = {1: 2.0, 2: 1.0}  # seconds per row: two threads win
    busy = {1: 2.0, 2: 3.0}  # another process takes a core
    used = []
    for step in range(40):
        count = chooser.choose()
        used.append(count)
        chooser.record(count, (quiet if step < 20 else busy)[count])
    assert used[:2] == [1, 2]  # one thread, then two tried
    assert used[2:20].count(2) >= 16  # quiet: two threads
    # Busy: once the median of two's last 3 times passes one's, one thread,
    # with trials of two thereafter.
    assert used[24:].count(1) >= 14
    assert 2 in used[24:]


def test_thread_chooser_retries_less_often_while_the_leader_holds():
    chooser = ThreadChooser((1, 2), retry_every=8)
    used = []
    for _ in range(1000):
        count = chooser.choose()
        used.append(count)
        chooser.record(count, {1: 1.0, 2: 2.0}[count])
    # Trials after 8, 16, 32, ... segments, then every 512: a handful.
    assert 3 <= used.count(2) <= 8


def test_more_threads_are_tried_only_while_a_core_is_idle():
    chooser = ThreadChooser((1, 2), retry_every=4)
    used = []
    for step in range(60):
        spare = 0.1 if step < 30 else 0.9  # busy, then a core frees up
        count = chooser.choose(spare_cores=spare)
        used.append(count)
        chooser.record(count, {1: 2.0, 2: 1.0}[count])
    assert used[:30] == [1] * 30  # never tried while no core was idle
    assert used[-20:].count(2) >= 19  # tried once a core was idle, and kept
    # Fewer threads are tried whatever the load.
    chooser = ThreadChooser((1, 2), retry_every=4, times={1: [2.0], 2: [1.0]})
    tried = [chooser.choose(spare_cores=0.0) for _ in range(8)]
    assert 1 in tried


def test_spare_cores_from_cpu_times(monkeypatch):
    monkeypatch.undo()  # the real cpu_times
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 2)
    # 100 ticks of the two cores together, 45 of them idle: 0.9 of a core
    assert _threads._spare_cores((10, 1000), (55, 1100)) == pytest.approx(0.9)
    assert _threads._spare_cores(None, (55, 1100)) is None
    assert _threads._spare_cores((10, 1000), (10, 1000)) is None
    if not os.path.exists("/proc/stat"):
        assert _threads.cpu_times() is None
        return
    idle, total = _threads.cpu_times()
    assert 0 <= idle <= total
    sum(i * i for i in range(200_000))  # let the clock tick
    later = _threads.cpu_times()
    assert later[1] >= total and later[0] >= idle


def test_times_are_per_multiply_add(clock):
    # A full-batch evaluation of W multiply-adds and a half-size minibatch of a
    # fit whose batches do W, both at the same speed: the same time per
    # multiply-add, in the same size class, whatever the rows.
    work = 100 * SMALL_WORK
    with threadpool_limits(2, user_api="blas"):
        with _threads.BlasThreads(work) as full:
            with full.evaluation():
                clock.now += 0.010
        with _threads.BlasThreads(work, solver_on_one=False, rows=200) as mini:
            with mini.evaluation(100):
                clock.now += 0.005
    (times,) = _threads._TIMES_BY_SIZE.values()
    assert times[1] == [pytest.approx(0.010 / work)] * 2


def test_thread_timings_carry_over_to_the_next_fit_of_that_size(clock):
    with threadpool_limits(2, user_api="blas"):
        _full_batch(_Timed(clock, {1: 0.002, 2: 0.001}), max_iter=6)
        second = _Timed(clock, {1: 0.002, 2: 0.001})
        _full_batch(second, max_iter=4)
    # The second fit starts on the count the first one found faster.
    assert second.threads[0] == 2


# ------------------------------------------------- the driver on a toy objective


class _Bowl(_Quadratic):
    """0.5 ||theta - 1||^2 as a mean over 10 rows, each row's share equal."""

    def __call__(self, theta, rows=None):
        return super().__call__(theta)


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
        def __call__(self, theta, rows=None):
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
    theta, grad = np.array([1.0, -2.0]), np.array([0.5, -1.0])
    sgd = SGD(learning_rate=0.1, momentum=0.9, nesterov=False)
    t, state = theta.copy(), sgd.init_state(theta)
    sgd.update(t, grad, state)
    sgd.update(t, grad, state)
    # v1 = -0.1 g, v2 = 0.9 v1 - 0.1 g = -0.19 g; theta - 0.1 g - 0.19 g
    np.testing.assert_allclose(t, theta - 0.29 * grad)
    nesterov = SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    t, state = theta.copy(), nesterov.init_state(theta)
    nesterov.update(t, grad, state)
    # v1 = -0.1 g; step = 0.9 v1 - 0.1 g = -0.19 g
    np.testing.assert_allclose(t, theta - 0.19 * grad)
    adam = Adam(learning_rate=0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    t, state = theta.copy(), adam.init_state(theta)
    adam.update(t, grad, state)
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


def _run_in_worker_pool(queue):
    with _threads.blas_worker_pool(2) as pool:
        queue.put(pool.submit(sum, [1, 2]).result(timeout=20))


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork"
)
def test_worker_pool_works_in_a_forked_child():
    # The parent's pool threads do not survive a fork; a child (a
    # multiprocessing pool on Linux, say) must not wait on them forever.
    with _threads.blas_worker_pool(2) as pool:
        assert pool.submit(sum, [1, 2]).result() == 3
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_run_in_worker_pool, args=(queue,))
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
    assert child.exitcode == 0
    assert queue.get(timeout=5) == 3
