"""BLAS threads for the optimizer driver: one explicit policy, no state.

- The solvers' own work is vector arithmetic on ``theta`` (SciPy's L-BFGS-B
  and CG call BLAS dot products and updates on it). OpenBLAS spreads such a
  call over its threads from about 10000 entries on, and the wake-ups cost far
  more than the arithmetic, so a fit runs with BLAS on one thread
  (:func:`one_blas_thread`).
- A full-batch evaluation large enough to pay for threads
  (:data:`SMALL_WORK` multiply-adds or more) runs its row blocks on as many
  Python threads as the caller allowed BLAS threads (:func:`evaluation_workers`),
  each block's products on one BLAS thread: the element-wise work is spread
  too, and the result is the same bits on any count. A minibatch, too small to
  split with profit, runs in the calling thread.

The caller's ``threadpoolctl.threadpool_limits`` is respected: the count of
workers never exceeds the BLAS threads in force when the fit starts.
(``benchmarks/bench_threads.py`` measures this policy against one thread and
OpenBLAS's own threads; benchmarks/RESULTS.md has the numbers.)
"""

import functools
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

# Evaluations whose products do fewer multiply-adds than this (about a
# millisecond on one thread) run in the calling thread: threads save little
# there, and a thread waiting for a busy core costs more. (A 200-row batch of
# the course network does 4M multiply-adds; its full batch of 5000 rows 104M.)
SMALL_WORK = 20_000_000


@functools.cache
def _blas_controller():
    # The BLAS libraries loaded in this process; finding them takes
    # milliseconds, so it is done once.
    return ThreadpoolController().select(user_api="blas")


def blas_threads_in_force():
    """The BLAS thread count in force now (the largest over the libraries)."""
    return max(
        (lib.num_threads for lib in _blas_controller().lib_controllers), default=1
    )


@contextmanager
def one_blas_thread():
    """BLAS on one thread inside; yields the count in force before, which is
    restored after."""
    caller = blas_threads_in_force()
    limiter = _blas_controller().limit(limits=1)
    try:
        yield caller
    finally:
        limiter.restore_original_limits()


def evaluation_workers(multiply_adds, caller_threads):
    """Python threads for the row blocks of one evaluation: the caller's BLAS
    thread count for ``multiply_adds`` of at least :data:`SMALL_WORK`, else 1
    (also when the engine runs its own threads: ``multiply_adds`` None)."""
    if multiply_adds is None or multiply_adds < SMALL_WORK:
        return 1
    return max(1, caller_threads)
