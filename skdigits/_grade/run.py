"""Running learner code safely: a worker thread, a timeout, warnings, mutations.

Learner code runs in a worker thread that the grader waits for with a
timeout: a call that does not return in time is reported as timed out and the
thread is left behind as a daemon (Python cannot stop a thread); the next call
gets a new worker. One worker serves every call until then (starting a thread
per call cost more than the tiny networks' arithmetic). Exceptions, NumPy
warnings and changed inputs become findings.
"""

import os
import queue
import threading
import traceback
import warnings

import numpy as np

from skdigits._grade.report import PartResult


class Outcome:
    """What one call of learner code did: its value, or how it failed."""

    __slots__ = ("value", "error", "timed_out", "warnings", "mutated", "changes")

    def __init__(self):
        self.value = None
        self.error = None
        self.timed_out = False
        self.warnings = []
        self.mutated = []
        self.changes = {}


class _Worker:
    """A daemon thread that runs the calls it is given, one after another."""

    def __init__(self):
        self.tasks = queue.SimpleQueue()
        self.thread = threading.Thread(
            target=self._loop, daemon=True, name="skdigits-grade"
        )
        self.thread.start()

    def _loop(self):
        while True:
            task, done = self.tasks.get()
            task()
            done.set()

    def run(self, task, timeout):
        """Whether ``task`` finished within ``timeout`` seconds."""
        done = threading.Event()
        self.tasks.put((task, done))
        return done.wait(timeout)


_worker = [None]
_worker_lock = threading.Lock()


def _run_in_worker(task, timeout):
    """Run ``task`` in the worker; a worker that times out is abandoned."""
    with _worker_lock:
        if _worker[0] is None:
            _worker[0] = _Worker()
        worker = _worker[0]
    finished = worker.run(task, timeout)
    if not finished:
        with _worker_lock:
            if _worker[0] is worker:
                _worker[0] = None
    return finished


def call(func, args, timeout, arg_names=()):
    """Call learner code in a worker thread; never raises."""
    outcome = Outcome()
    originals = [
        np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in args
    ]
    given = [a.copy() if isinstance(a, np.ndarray) else a for a in args]

    def run():
        try:
            outcome.value = func(*given)
        except BaseException as exc:  # noqa: BLE001 - learner code may raise anything
            outcome.error = exc

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        finished = _run_in_worker(run, timeout)
    if not finished:
        outcome.timed_out = True
        return outcome
    outcome.warnings = [
        f"{w.category.__name__}: {w.message}"
        for w in caught
        if issubclass(w.category, RuntimeWarning)
    ]
    for name, original, now in zip(arg_names, originals, given):
        if original is not None and not (
            now.shape == original.shape
            and np.array_equal(now, original, equal_nan=True)
        ):
            outcome.mutated.append(name)
            outcome.changes[name] = (original, now)
    return outcome


def _where(func, exc):
    """' (file.py, line N)' for the learner's frame where exc was raised."""
    code = getattr(func, "__code__", None)
    frames = traceback.extract_tb(exc.__traceback__)
    if code is not None:
        mine = [f for f in frames if f.filename == code.co_filename]
        if mine:
            return f" ({os.path.basename(mine[-1].filename)}, line {mine[-1].lineno})"
    return ""


def _exception_sentence(fname, exc, func, where, label_advice=None):
    text = str(exc).strip().splitlines()
    text = text[0] if text else ""
    if len(text) > 160:
        text = text[:157] + "..."
    sentence = (
        f"{fname} raised {type(exc).__name__}: {text}{_where(func, exc)} {where}."
    )
    axis_error = getattr(getattr(np, "exceptions", np), "AxisError", ())
    if (
        label_advice
        and isinstance(exc, IndexError)
        and not isinstance(exc, axis_error)
        and "out of bounds" in text
    ):
        sentence += " " + label_advice
    return sentence


def timeout_sentence(fname, timeout, where=""):
    """The finding of a call that did not return within ``timeout`` seconds."""
    where = f" {where}" if where else ""
    return (
        f"{fname} did not return within {timeout:g} s{where}; it is left running "
        "in a background thread (an endless loop?)."
    )


def failure(fname, outcome, func, where, timeout, label_advice=None, mutation=True):
    """A PartResult for an outcome that did not even return, or None.

    ``label_advice`` is added to an IndexError out of bounds (not to NumPy's
    AxisError); ``mutation=False`` leaves changed inputs to the caller.
    """
    if outcome.timed_out:
        return PartResult(False, timeout_sentence(fname, timeout, where), "timeout")
    if outcome.error is not None:
        return PartResult(
            False,
            _exception_sentence(fname, outcome.error, func, where, label_advice),
            "raises",
        )
    if mutation and outcome.mutated:
        names = " and ".join(outcome.mutated)
        return PartResult(
            False,
            f"{fname} changed its input {names} in place {where}; work on a copy "
            f"(for example {outcome.mutated[0]} = {outcome.mutated[0]}.copy()).",
            "mutates_input",
        )
    return None


def checked_call(fname, func, args, timeout, where, arg_names=()):
    """``(outcome, failure)``: call learner code; the failure is None if it returned."""
    outcome = call(func, args, timeout, arg_names)
    return outcome, failure(fname, outcome, func, where, timeout)


def warned(outcome):
    """' NumPy warned: ...' for the first RuntimeWarning of ``outcome``, or ''."""
    if not outcome.warnings:
        return ""
    return f" NumPy warned: {outcome.warnings[0]}."


def g(x):
    """A number in six significant digits, as the messages print them."""
    return f"{x:.6g}"
