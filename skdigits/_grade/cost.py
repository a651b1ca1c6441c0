"""Grading ``nn_cost_function``: the cost and gradient parts, each with and
without regularisation."""

import numpy as np

from skdigits._grade.mistakes import (
    COST_MISTAKES,
    GRADIENT_MISTAKES,
    cost_facts,
    diagnose,
    gradient_facts,
)
from skdigits._grade.reference import COST_RTOL, GRAD_RTOL, close
from skdigits._grade.report import PartResult
from skdigits._grade.run import call, failure, g, warned

ARG_NAMES = (
    "nn_params",
    "input_layer_size",
    "hidden_layer_size",
    "num_labels",
    "X",
    "y",
    "lambda_",
)


def run_cost_function(func, problems, timeout):
    """Outcomes of nn_cost_function on every problem of both lambda sets.

    ``(runs, hung)``: ``runs`` maps a lambda set to ``(problem, outcome)``
    pairs; ``hung`` is the outcome of a call that timed out (the runs stop
    there), or None.
    """
    runs = {}
    for lam_set, plist in problems.items():
        runs[lam_set] = []
        for p in plist:
            out = call(func, (p.theta, *p.sizes, p.X, p.y, p.lam), timeout, ARG_NAMES)
            runs[lam_set].append((p, out))
            if out.timed_out:
                return runs, out
    return runs, None


def _split_result(value):
    """(J, grad, problem) from nn_cost_function's return value."""
    if isinstance(value, tuple | list) and len(value) == 2:
        return value[0], value[1], None
    if isinstance(value, tuple | list):
        return None, None, (f"returns {len(value)} values, not the two of (J, grad)")
    return value, None, "returns a single value, not the pair (J, grad)"


def _cost_of(fname, value, where):
    """``(J as a float, None)``, or ``(None, the PartResult of a bad cost)``."""
    J, _, problem = _split_result(value)
    if J is None:
        return None, PartResult(False, f"{fname} {problem} {where}.", "wrong_type")
    if isinstance(J, np.ndarray) and J.ndim > 0:
        return None, PartResult(
            False,
            f"{fname} returns the cost as an array of shape {J.shape}, not a "
            f"number {where}; return float(J).",
            "cost_is_array",
        )
    try:
        if isinstance(J, bool | str | bytes):
            raise TypeError
        return float(J), None
    except (TypeError, ValueError):
        return None, PartResult(
            False,
            f"{fname} returns a cost of type {type(J).__name__}, not a number {where}.",
            "wrong_type",
        )


def _as_float(value):
    try:
        J = value[0] if isinstance(value, tuple | list) else value
        return float(J) if not isinstance(J, np.ndarray) or J.ndim == 0 else None
    except (TypeError, ValueError, IndexError):
        return None


def _cost_finding(fname, p, out, runs):
    """None when the cost of ``out`` is the course's on ``p``, else the finding."""
    Jf, bad = _cost_of(fname, out.value, p.where)
    if bad is not None:
        return bad
    J_ref = p.solve()[0]
    if not np.isfinite(Jf):
        return PartResult(
            False,
            f"{fname} returns J = {Jf} {p.where}; the course gives {g(J_ref)}."
            + warned(out),
            "not_finite",
        )
    if close(Jf, J_ref, COST_RTOL):
        return None
    answers = [(q, _as_float(o.value)) for q, o in runs]
    facts = cost_facts(p, Jf, J_ref)
    found = diagnose(COST_MISTAKES, facts, answers, 0, COST_RTOL)
    if found is not None:
        return found
    return PartResult(
        False,
        f"J = {g(Jf)} where the course gives {g(J_ref)} {p.where} (relative "
        f"difference {abs(Jf - J_ref) / abs(J_ref):.3g}); it is none of the "
        "classic mistakes." + warned(out),
        "differs",
    )


def _grade_runs(finding, matches, fname, func, runs, timeout):
    """The first finding over ``runs``, or a pass saying what ``matches``."""
    for p, out in runs:
        found = failure(fname, out, func, p.where, timeout)
        if found is None:
            found = finding(fname, p, out, runs)
        if found is not None:
            return found
    return PartResult(
        True,
        f"{matches} the course's on the debugging network and {len(runs) - 1} random "
        f"networks (lambda {', '.join(f'{p.lam:g}' for p, _ in runs)}).",
    )


def grade_cost(fname, func, runs, timeout):
    """PartResult of a cost part, from the runs of its lambda set."""
    return _grade_runs(_cost_finding, "J matches", fname, func, runs, timeout)


def _grad_of(value, p):
    """(grad as 1-D float array, or None, and a finding)."""
    if not isinstance(value, tuple | list):
        return None, "returns a single value, not the pair (J, grad)"
    if len(value) != 2:
        return None, f"returns {len(value)} values, not the pair (J, grad)"
    grad = value[1]
    if grad is None:
        return None, "returns None as the gradient"
    try:
        arr = np.asarray(grad, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"returns a gradient of type {type(grad).__name__}, not an array"
    n = p.theta.size
    if arr.shape != (n,):
        return None, (
            f"returns the gradient with shape {arr.shape}; it must be the flat "
            f"vector of shape ({n},) of [Theta1_grad(:); Theta2_grad(:)] "
            "(np.concatenate([G1.ravel(order='F'), G2.ravel(order='F')]))"
        )
    return arr, None


def _gradient_finding(fname, p, out, runs):
    """None when the gradient of ``out`` is the course's on ``p``, else the finding."""
    grad, problem = _grad_of(out.value, p)
    if grad is None:
        diagnosis = "gradient_shape" if "shape" in problem else "wrong_type"
        return PartResult(False, f"{fname} {problem} {p.where}.", diagnosis)
    grad_ref = p.solve()[1]
    if not np.all(np.isfinite(grad)):
        return PartResult(
            False,
            f"{fname} returns a gradient with {int(np.sum(~np.isfinite(grad)))} "
            f"NaN or infinite entries {p.where}." + warned(out),
            "not_finite",
        )
    if close(grad, grad_ref, GRAD_RTOL):
        return None
    if not np.any(grad):
        return PartResult(
            False,
            f"{fname} returns a gradient of zeros {p.where} (backpropagation "
            "not written yet?).",
            "gradient_zero",
        )
    answers = [(q, _grad_of(o.value, q)[0]) for q, o in runs]
    facts = gradient_facts(p, grad, grad_ref)
    found = diagnose(GRADIENT_MISTAKES, facts, answers, 1, GRAD_RTOL)
    return found if found is not None else _gradient_differs(p, out, grad, grad_ref)


def _gradient_differs(p, out, grad, grad_ref):
    i = int(np.argmax(np.abs(grad - grad_ref)))
    rel = np.linalg.norm(grad - grad_ref) / np.linalg.norm(grad_ref)
    return PartResult(
        False,
        f"The gradient differs from the course's {p.where}: relative difference "
        f"{rel:.3g}, largest at {p.position(i)} ({g(grad[i])} instead of "
        f"{g(grad_ref[i])}); it is none of the classic mistakes." + warned(out),
        "differs",
    )


def grade_gradient(fname, func, runs, timeout):
    """PartResult of a gradient part, from the runs of its lambda set."""
    return _grade_runs(
        _gradient_finding, "The gradient matches", fname, func, runs, timeout
    )
