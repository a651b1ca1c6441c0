"""BLAS threads for the optimizer driver, chosen by measurement while it runs.

Two facts set the policy (``benchmarks/bench_threads.py`` measures both):

- The solvers' own work is vector arithmetic on ``theta`` (SciPy's L-BFGS-B
  and CG call BLAS dot products and updates on it). OpenBLAS spreads such a
  call over its threads from about 10000 entries on, and the wake-ups cost far
  more than the arithmetic: SciPy's L-BFGS-B ran tens of times slower per
  iteration on two threads than on one. The solvers therefore run on one
  thread.
- Whether the objective's matrix products gain from threads depends on their
  size *and on what else the machine is doing*. On an idle 2-core machine a
  200-row batch at 784 x 100 runs faster on two threads; with one competing
  process the same product runs 1.4 times slower on two threads than on one,
  because the second thread waits for a core. No fixed size threshold is right
  in both conditions.

So each evaluation runs on one thread or on the caller's threads, whichever
has been faster per multiply-add lately: the driver times its own evaluations in
segments of tens of milliseconds (:class:`ThreadChooser`). It starts on one
thread, tries the caller's count on the second segment, then the count not
in use after :data:`RETRY_EVERY` segments and less and less often while the
same count stays faster; a trial is cut short once it runs :data:`GIVE_UP`
times slower than the leader. A trial of more threads also waits until a core
was idle during the last segment (:func:`cpu_times`, from ``/proc/stat``):
two threads on a core that another process holds can be tens of times slower
than one, so trying them then costs more than they could ever save.
So it follows the machine's load as it changes and pays little for the
trials when the load is steady. What a fit measured is remembered for the
next fit of a similar size in the same process (a grid search starts
informed). Products below :data:`SMALL_WORK` multiply-adds per evaluation
always run on one thread: threads cannot pay there. The caller's
``threadpoolctl.threadpool_limits`` is respected: the driver never raises a
thread count.

The driver sets the BLAS thread count in force; how an evaluation uses it is
the engine's business. The NumPy engine runs a dense full batch's blocks of
rows in that many Python threads with BLAS on one thread each
(:func:`blas_worker_pool`): the element-wise work, which OpenBLAS's threads
leave on one core, is spread too, and the result is the same bits whatever
the count. A minibatch, too small to split with profit, runs on one thread
whatever the count: OpenBLAS's own threads would change the last bits of its
float32 products, and with them the fitted weights from run to run.
"""

import math
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from threadpoolctl import ThreadpoolController

# Evaluations whose products do fewer multiply-adds than this (about a
# millisecond on one thread) run on one thread without measuring: two threads
# save little there on an idle machine, and a single call on two threads
# stalled behind another process can cost a hundred such evaluations. (A
# 200-row batch of the course network does 4M, of 784-100-10 32M; the
# course network's full batch of 5000 rows 104M.)
SMALL_WORK = 20_000_000

# Evaluations are timed in segments of at least this many multiply-adds
# (tens of milliseconds), each on one thread count: a minibatch is too short
# to time alone, and after a call on two threads OpenBLAS's second thread
# keeps spinning for a while, so switching counts at every batch would cost
# a busy machine more than the threads save.
SEGMENT_WORK = 2_000_000_000

# Evaluations in the first segment on a count never timed before.
FIRST_SEGMENT = 3

# How soon the thread count not in use is tried again, in segments.
RETRY_EVERY = 4

# A trial of the other count ends early once it is this many times slower per
# row than the leader (on a busy machine two threads can be 8 times slower).
GIVE_UP = 1.5

# Per-row times a chooser keeps for each thread count.
_MEMORY = 3

# The clock evaluations are timed with (tests replace it with a simulated one).
clock = time.perf_counter

_BLAS = None


def _blas_controller():
    # Finding the loaded BLAS libraries takes milliseconds: do it once.
    global _BLAS
    if _BLAS is None:
        _BLAS = ThreadpoolController().select(user_api="blas")
    return _BLAS


def cpu_times():
    """``(idle, total)`` CPU time of the whole machine so far, in clock ticks
    summed over its cores (Linux's ``/proc/stat``), or None elsewhere."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal (guest time is in user)
    return ticks[3] + ticks[4], sum(ticks[:8])


def _spare_cores(before, after):
    """Cores idle on average between two ``cpu_times()`` readings."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1]) * (os.cpu_count() or 1)


def blas_threads_in_force():
    """The BLAS thread count in force now (the largest over the libraries)."""
    return max(
        (lib.num_threads for lib in _blas_controller().lib_controllers), default=1
    )


class _InlinePool:
    """``submit`` runs the task at once, in the calling thread."""

    def submit(self, fn, *args):
        future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as exc:
            future.set_exception(exc)
        return future


_POOLS = {}
_POOLS_LOCK = threading.Lock()


def _forget_pools():
    # A forked child inherits the pools but not their threads: tasks
    # submitted there would wait forever. It makes its own.
    global _POOLS_LOCK
    _POOLS.clear()
    _POOLS_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)


@contextmanager
def blas_worker_pool(workers):
    """A pool of ``workers`` Python threads, with BLAS on one thread inside.

    For work that splits into independent tasks: each task runs its products
    on one BLAS thread and its element-wise work in its own Python thread
    (NumPy releases the GIL in both), so the thread budget covers the
    element-wise work too. The BLAS limits in force are restored after. Pools
    are made once per size and shared by every fit of the process; with
    ``workers=1`` the tasks run in the calling thread.
    """
    pool = _InlinePool()
    if workers > 1:
        with _POOLS_LOCK:
            pool = _POOLS.get(workers)
            if pool is None:
                pool = _POOLS[workers] = ThreadPoolExecutor(
                    workers, thread_name_prefix="skdigits-blas"
                )
    limiter = _blas_controller().limit(limits=1)
    try:
        yield pool
    finally:
        limiter.restore_original_limits()


class ThreadChooser:
    """Which thread count to run the next evaluations on, from measured times.

    ``choose()`` gives the count for the next segment of evaluations;
    ``record(count, seconds_per_unit)`` reports how it went. The chooser starts
    on the first of ``counts`` (or on the fastest in ``times``, times
    shared with earlier fits), tries the others on the second segment if they
    were never timed, and keeps the count with the lowest median of its last
    few times. The other count is tried again after ``retry_every`` segments,
    then after twice as many each time the leader holds (up to 64 times as
    many), so that a change of load is noticed and trials cost little when
    the load is steady; a change of leader resets the wait.
    """

    def __init__(self, counts, retry_every=RETRY_EVERY, times=None):
        self.counts = tuple(counts)
        self.retry_every = retry_every
        self.times = times if times is not None else {}
        self._calls = 0
        self._interval = retry_every
        known = [c for c in self.counts if self.times.get(c)]
        self.best = min(known, key=self.estimate) if known else self.counts[0]
        self._next_retry = retry_every if len(known) == len(self.counts) else 2

    def estimate(self, count):
        """Median of ``count``'s last times per unit of work (inf if never timed)."""
        seen = sorted(self.times.get(count, ()))
        return seen[len(seen) // 2] if seen else math.inf

    def choose(self, spare_cores=None):
        """The count for the next segment. ``spare_cores``: how many cores
        were idle during the last one (None if unknown); a trial of more
        threads than the leader's waits until some were."""
        self._calls += 1
        if self._calls < self._next_retry:
            return self.best
        others = [c for c in self.counts if c != self.best]
        other = min(others, key=lambda c: len(self.times.get(c, ())))
        if other > self.best and spare_cores is not None:
            if spare_cores < 0.5 * (other - self.best):
                # No idle core for the extra threads: they would wait for
                # one. Look again a little later.
                self._next_retry = self._calls + self.retry_every
                return self.best
        # The leader held: wait twice as long before the next retry.
        self._interval = min(64 * self.retry_every, 2 * self._interval)
        self._next_retry = self._calls + self._interval
        return other

    def record(self, count, seconds_per_unit):
        seen = self.times.setdefault(count, [])
        seen.append(seconds_per_unit)
        del seen[:-_MEMORY]
        best = min((c for c in self.counts if self.times.get(c)), key=self.estimate)
        if best != self.best:
            # A new leader: retry the other count soon.
            self.best, self._interval = best, self.retry_every
            self._next_retry = self._calls + self._interval


# Times per multiply-add by size class (multiply-adds per evaluation, in powers of 2),
# shared by the fits of a process.
_TIMES_BY_SIZE = {}


class BlasThreads:
    """One BLAS thread for the solver; each evaluation on the measured best count.

    Used as a context manager around a solver run; ``evaluation(n_rows)``
    wraps each call of the objective. ``work`` is the objective's multiply-adds
    per call of ``rows`` rows, or None when it has no BLAS products to tune
    (then evaluations get the caller's threads back). Times are recorded per
    multiply-add, so that fits of different shapes in one size class share
    them meaningfully. ``solver_on_one`` says whether the solver's
    own work between evaluations needs one thread (the full-batch solvers); the
    minibatch loops leave the evaluations' count in place. A segment on the
    count that is not the leader ends early once it runs :data:`GIVE_UP` times
    slower per multiply-add than the leader. Fits running concurrently in Python
    threads are safe with threadpoolctl: OpenMP limits are per thread, and
    OpenBLAS's process-wide limit only takes orders from one controlling
    thread.
    """

    def __init__(self, work, solver_on_one=True, rows=1):
        self._work = work
        self._rows_per_call = rows
        self._solver_on_one = solver_on_one
        self._chooser = None
        self._original = None
        self._current = None
        # Evaluations are timed in segments of at least SEGMENT_WORK
        # multiply-adds, on one thread count each.
        self._segment = 1 if not work else max(1, math.ceil(SEGMENT_WORK / work))
        self._in_segment, self._open = 0, False
        self._spare = None
        self._count = 1

    def __enter__(self):
        caller = blas_threads_in_force()
        self._original = _blas_controller().limit(limits=1)
        self._current = 1
        if self._work is None:
            self._fixed = caller
        elif self._work < SMALL_WORK or caller == 1:
            self._fixed = 1
        else:
            self._fixed = None
            size_class = int(math.log2(self._work))
            times = _TIMES_BY_SIZE.setdefault((size_class, caller), {})
            self._chooser = ThreadChooser((1, caller), times=times)
        return self

    def __exit__(self, *exc_info):
        self._original.restore_original_limits()

    def _set(self, count):
        if count != self._current:
            _blas_controller().limit(limits=count)
            self._current = count

    @contextmanager
    def evaluation(self, n_rows=None):
        chooser = self._chooser
        if chooser is None:
            count = self._fixed
        elif not self._open:
            self._open, self._in_segment = True, 0
            count = chooser.choose(self._spare)
            # The first evaluation after a change of count wakes threads up
            # (or leaves them spinning), and the first ever on a count sets
            # up OpenBLAS's buffers for it: not timed, unless it is a
            # segment on its own (then those milliseconds are noise, and
            # skipping it would run a whole extra evaluation on the count
            # under trial).
            known = chooser.times.get(count)
            self._warming = count != self._count and (self._segment > 1 or not known)
            self._count = count
            # A count never timed yet gets a short first segment.
            self._length = self._segment if known else min(self._segment, FIRST_SEGMENT)
            self._start, self._rows, self._cpu = clock(), 0, cpu_times()
        else:
            count = self._count
        self._set(count)
        try:
            yield
            if chooser is not None:
                rows = self._rows_per_call if n_rows is None else n_rows
                self._end_of_evaluation(chooser, count, rows)
        finally:
            if self._solver_on_one:
                self._set(1)

    def _end_of_evaluation(self, chooser, count, n_rows):
        if self._warming:
            self._warming = False
            self._start = clock()
            return
        self._rows += n_rows
        self._in_segment += 1
        work = self._rows * self._work / self._rows_per_call
        per_work = (clock() - self._start) / work
        slow = per_work > GIVE_UP * chooser.estimate(chooser.best)
        if self._in_segment == self._length or (count != chooser.best and slow):
            self._open = False
            chooser.record(count, per_work)
            self._spare = _spare_cores(self._cpu, cpu_times())
