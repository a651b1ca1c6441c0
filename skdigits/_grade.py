"""Grade a learner's own exercise 4 functions offline, with diagnoses.

:func:`grade` calls the learner's ``sigmoid_gradient``,
``rand_initialize_weights``, ``nn_cost_function`` and ``predict`` (Python or
Octave names) on the course's debugging network and on random small networks,
compares every answer with :mod:`skdigits.course`, and, when a part fails,
compares it with the answers of the classic mistakes too, so that the report
names the mistake rather than only saying "wrong".

Learner code runs in a worker thread that the grader waits for with
``Thread.join(timeout)``: a call that does not return in time is reported as
timed out and the thread is left behind as a daemon (Python cannot stop a
thread). Exceptions, NumPy warnings, NaN and wrong types become findings.
"""

import argparse
import html
import importlib.util
import os
import sys
import threading
import time
import traceback
import types
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import expit


def _course():
    # skdigits.course re-exports grade: import it when grading, not at import.
    from skdigits import course

    return course


__all__ = ["GradeReport", "PartResult", "grade", "main"]

#: Accepted names of each function: the course's Python name, then Octave's.
FUNCTION_NAMES = {
    "sigmoid_gradient": ("sigmoid_gradient", "sigmoidGradient"),
    "rand_initialize_weights": ("rand_initialize_weights", "randInitializeWeights"),
    "nn_cost_function": ("nn_cost_function", "nnCostFunction"),
    "predict": ("predict",),
}

#: The parts, in the course's order, and the function each one grades.
PARTS = {
    "cost": "nn_cost_function",
    "regularized_cost": "nn_cost_function",
    "sigmoid_gradient": "sigmoid_gradient",
    "gradient": "nn_cost_function",
    "regularized_gradient": "nn_cost_function",
    "rand_initialize_weights": "rand_initialize_weights",
    "predict": "predict",
}

COST_RTOL = 1e-7
GRAD_RTOL = 1e-6
EPSILON_INIT = 0.12


@dataclass
class PartResult:
    """The grade of one part.

    Attributes
    ----------
    passed : bool or None
        True or False; None when the part's function was not submitted.
    message : str
        A plain sentence: what was checked, or what is wrong and the number
        that shows it.
    diagnosis : str or None
        A short name of the mistake found (``"bias_regularized"``,
        ``"raises"``, ...), None when the part passes or is not submitted.
    """

    passed: object
    message: str
    diagnosis: object = None


class GradeReport:
    """The result of :func:`grade`: one record per part.

    Parameters
    ----------
    parts : dict of str to PartResult
        Keyed by part name, in the course's order. Each record has ``passed``
        (True, False, or None when not submitted), ``message`` (one sentence)
        and ``diagnosis`` (a short name of the mistake found, or None).

    seconds : float, default=0.0
        Time the grade took.

    Attributes
    ----------
    parts : dict of str to PartResult
        The records, keyed by part name.

    seconds : float
        Time the grade took.

    See Also
    --------
    grade : Grade your own functions against the course's.

    Examples
    --------
    >>> from skdigits import course
    >>> report = course.grade(sigmoid_gradient=course.sigmoid_gradient)
    >>> report.parts["sigmoid_gradient"].passed, report.parts["cost"].passed
    (True, None)
    >>> report.passed
    True
    """

    def __init__(self, parts, seconds=0.0):
        self.parts = dict(parts)
        self.seconds = float(seconds)

    @property
    def passed(self):
        """True when at least one part was submitted and every submitted part passes."""
        submitted = [r for r in self.parts.values() if r.passed is not None]
        return bool(submitted) and all(r.passed for r in submitted)

    @staticmethod
    def _verdict(result):
        return {True: "passed", False: "FAILED", None: "not submitted"}[result.passed]

    def __str__(self):
        width = max(len(name) for name in self.parts)
        lines = [f"{'Part':<{width}}  {'Result':<13}  Message"]
        for name, result in self.parts.items():
            lines.append(
                f"{name:<{width}}  {self._verdict(result):<13}  {result.message}"
            )
        n_sub = sum(r.passed is not None for r in self.parts.values())
        n_ok = sum(r.passed is True for r in self.parts.values())
        lines.append(
            f"{n_ok} of {n_sub} submitted parts passed ({len(self.parts)} parts) "
            f"in {self.seconds:.2f} s."
        )
        return "\n".join(lines)

    def __repr__(self):
        verdicts = ", ".join(
            f"{name}={self._verdict(r)}" for name, r in self.parts.items()
        )
        return f"GradeReport({verdicts})"

    def _repr_html_(self):
        colours = {True: "#1a7f37", False: "#cf222e", None: "#6e7781"}
        rows = "".join(
            f"<tr><td><code>{html.escape(name)}</code></td>"
            f'<td style="color:{colours[r.passed]}"><b>{self._verdict(r)}</b></td>'
            f"<td>{html.escape(r.message)}</td></tr>"
            for name, r in self.parts.items()
        )
        return (
            "<table><thead><tr><th>Part</th><th>Result</th><th>Message</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )


# -- running learner code ------------------------------------------------------


class _Outcome:
    __slots__ = ("value", "error", "timed_out", "warnings", "mutated")

    def __init__(self):
        self.value = None
        self.error = None
        self.timed_out = False
        self.warnings = []
        self.mutated = []


def _call(func, args, timeout, arg_names=()):
    """Call learner code in a worker thread; never raises."""
    outcome = _Outcome()
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
        thread = threading.Thread(target=run, daemon=True, name="skdigits-grade")
        thread.start()
        thread.join(timeout)
    if thread.is_alive():
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


def _exception_sentence(fname, exc, func, where):
    text = str(exc).strip().splitlines()
    text = text[0] if text else ""
    if len(text) > 160:
        text = text[:157] + "..."
    sentence = (
        f"{fname} raised {type(exc).__name__}: {text}{_where(func, exc)} {where}."
    )
    if isinstance(exc, IndexError) and "out of bounds" in text:
        sentence += (
            " The labels are 1..K (the digit 0 is label 10): output unit k-1 is "
            "label k, so index with y - 1."
        )
    return sentence


def _failure(fname, outcome, func, where, timeout):
    """A PartResult for an outcome that did not even return, or None."""
    if outcome.timed_out:
        return PartResult(
            False,
            f"{fname} did not return within {timeout:g} s {where}; it is left "
            "running in a background thread (an endless loop?).",
            "timeout",
        )
    if outcome.error is not None:
        return PartResult(
            False, _exception_sentence(fname, outcome.error, func, where), "raises"
        )
    if outcome.mutated:
        names = " and ".join(outcome.mutated)
        return PartResult(
            False,
            f"{fname} changed its input {names} in place {where}; work on a copy "
            f"(for example {outcome.mutated[0]} = {outcome.mutated[0]}.copy()).",
            "mutates_input",
        )
    return None


def _warned(outcome):
    if not outcome.warnings:
        return ""
    return f" NumPy warned: {outcome.warnings[0]}."


def _g(x):
    return f"{x:.6g}"


# -- the reference and its classic variants ------------------------------------


def _variant(theta, sizes, X, y, lam, **mistake):
    """Cost and gradient of the course's network, with one classic mistake.

    Without keyword arguments it is the course's ``nnCostFunction``.
    """
    n_in, n_hid, K = sizes
    m = X.shape[0]
    order = "C" if mistake.get("row_major") else "F"
    n1 = n_hid * (n_in + 1)
    T1 = theta[:n1].reshape((n_hid, n_in + 1), order=order)
    T2 = theta[n1:].reshape((K, n_hid + 1), order=order)
    first = 0 if mistake.get("labels_0") else 1
    Y = (y[:, None] == np.arange(first, first + K)).astype(np.float64)
    a1 = np.hstack([np.ones((m, 1)), X])
    z2 = a1 @ T1.T
    a2 = np.hstack([np.ones((m, 1)), expit(z2)])
    h = expit(a2 @ T2.T)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = Y * np.log(h)
        neg = (1 - Y) * np.log(1 - h)
    data = -np.sum(pos if mistake.get("drop_neg") else pos + neg)
    data /= m * K if mistake.get("average_mK") else m
    start = 0 if mistake.get("reg_bias") else 1
    squares = np.sum(T1[:, start:] ** 2) + np.sum(T2[:, start:] ** 2)
    scales = {"m": m, "2m": 2.0 * m, "1/K": 1.0 / K, "1/m": 1.0 / m}
    penalty_scale = mistake.get("penalty_scale", 1.0)
    J = data + scales.get(penalty_scale, penalty_scale) * lam / (2 * m) * squares

    d3 = h - Y
    if mistake.get("act_grad"):
        s = expit(a2[:, 1:])
        d2 = (d3 @ T2[:, 1:]) * s * (1 - s)
    else:
        s = a2[:, 1:]
        d2 = (d3 @ T2[:, 1:]) * s * (1 - s)
    G1 = d2.T @ a1 / m
    G2 = d3.T @ a2 / m
    if mistake.get("average_mK"):
        G1, G2 = G1 / K, G2 / K
    grad_scale = mistake.get("grad_scale", 1.0)
    grad_scale = scales.get(grad_scale, grad_scale)
    G1, G2 = G1 * grad_scale, G2 * grad_scale
    greg = mistake.get("grad_reg", "course")
    gstart = 0 if greg == "bias" else 1
    if greg != "none":
        scale = mistake.get("grad_reg_scale", 1.0) * lam / m
        G1[:, gstart:] += scale * T1[:, gstart:]
        G2[:, gstart:] += scale * T2[:, gstart:]
    grad = np.concatenate([G1.ravel(order=order), G2.ravel(order=order)])
    return float(J), grad


@dataclass
class _Problem:
    name: str
    sizes: tuple
    X: np.ndarray
    y: np.ndarray
    theta: np.ndarray
    lam: float

    @property
    def thetas(self):
        n_in, n_hid, K = self.sizes
        n1 = n_hid * (n_in + 1)
        return (
            self.theta[:n1].reshape((n_hid, n_in + 1), order="F"),
            self.theta[n1:].reshape((K, n_hid + 1), order="F"),
        )

    @property
    def where(self):
        n_in, n_hid, K = self.sizes
        return (
            f"on the {self.name} ({n_in}-{n_hid}-{K}, m = {self.X.shape[0]}, "
            f"lambda {self.lam:g})"
        )


def _problems():
    """The course's debugging network, then random small networks."""
    n_in, n_hid, K, m = 3, 5, 3, 5
    T1 = _course().debug_initialize_weights(n_hid, n_in)
    T2 = _course().debug_initialize_weights(K, n_hid)
    X = _course().debug_initialize_weights(m, n_in - 1)
    y = 1 + np.arange(1, m + 1) % K
    theta = np.concatenate([T1.ravel(order="F"), T2.ravel(order="F")])
    problems = {0: [], 1: []}
    for lam_set, lam in ((0, 0.0), (1, 3.0)):
        problems[lam_set].append(
            _Problem("debugging network", (n_in, n_hid, K), X, y, theta, lam)
        )
    rng = np.random.RandomState(4)
    for i, ((n_in, n_hid, K, m), lam) in enumerate(
        [((4, 6, 4, 12), 1.0), ((7, 3, 5, 20), 0.5), ((2, 4, 3, 9), 2.0)], start=1
    ):
        X = rng.normal(size=(m, n_in))
        y = rng.permutation(np.resize(np.arange(1, K + 1), m))
        theta = rng.uniform(-1.5, 1.5, size=n_hid * (n_in + 1) + K * (n_hid + 1))
        for lam_set, lam_i in ((0, 0.0), (1, lam)):
            problems[lam_set].append(
                _Problem(f"random network {i}", (n_in, n_hid, K), X, y, theta, lam_i)
            )
    return problems


def _close(a, b, rtol):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(
        np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(b), 1e-12)
    )


def _cost_mistakes(p, J, J_ref):
    """(diagnosis, sentence) for the classic cost mistakes, in order."""
    m = p.X.shape[0]
    K = p.sizes[2]
    J0 = _variant(p.theta, p.sizes, p.X, p.y, 0.0)[0]
    pen = J_ref - J0
    ratio = (J - J0) / pen if pen else float("nan")
    data_factor = J0 / (J - pen) if J != pen else float("nan")
    got = f"J = {_g(J)} where the course gives {_g(J_ref)} {p.where}"
    return [
        (
            "bias_regularized",
            {"reg_bias": True},
            f"The penalty includes the bias column (column 0 of each Theta): {got}; "
            "regularise Theta[:, 1:] only.",
        ),
        (
            "lambda_over_m",
            {"penalty_scale": 2.0},
            f"The penalty uses lambda/m instead of lambda/(2m): it is {ratio:.3g} "
            f"times the course's, {got}.",
        ),
        (
            "no_one_over_m",
            {"penalty_scale": "m"},
            f"The penalty is not divided by m (lambda/2 instead of lambda/(2m)): it "
            f"is {ratio:.3g} = m times the course's (m = {m}), {got}.",
        ),
        (
            "no_one_over_m",
            {"penalty_scale": "2m"},
            f"The penalty uses lambda instead of lambda/(2m): it is {ratio:.3g} = 2m "
            f"times the course's, {got}.",
        ),
        (
            "averaged_over_mK",
            {"average_mK": True},
            f"The cost is averaged over m*K instead of m: {got}, its "
            f"cross-entropy term {data_factor:.3g} times smaller (K = {K}); sum "
            "over the K output units, divide by m only.",
        ),
        (
            "averaged_over_mK",
            {"average_mK": True, "penalty_scale": "1/K"},
            f"The cost is divided by m*K instead of m: {got}, "
            f"{J_ref / J if J else 0:.3g} = K times too small; sum over the K "
            "output units, divide by m only.",
        ),
        (
            "dropped_negative_term",
            {"drop_neg": True},
            f"The (1 - y) log(1 - h) term is missing, only the true class's "
            f"-y log(h) is kept: {got}.",
        ),
        (
            "labels_0_based",
            {"labels_0": True},
            f"The labels are read as 0..K-1 (label k on output unit k): {got}; the "
            "course's labels are 1..K (digit 0 is label 10), so label k is unit k-1.",
        ),
        (
            "row_major",
            {"row_major": True},
            f"nn_params is reshaped row-major: {got}; reshape with order='F' as "
            "MATLAB's reshape (column-major).",
        ),
    ]


def _grad_mistakes(p, grad, grad_ref):
    m = p.X.shape[0]
    K = p.sizes[2]
    rel = np.linalg.norm(grad - grad_ref) / max(np.linalg.norm(grad_ref), 1e-300)
    ratio = np.linalg.norm(grad) / max(np.linalg.norm(grad_ref), 1e-300)
    got = f"relative difference {rel:.3g} {p.where}"
    grad0 = _variant(p.theta, p.sizes, p.X, p.y, 0.0)[1]
    data_ratio = np.linalg.norm(grad - (grad_ref - grad0)) / max(
        np.linalg.norm(grad0), 1e-300
    )
    return [
        (
            "sigmoid_gradient_of_activation",
            {"act_grad": True},
            f"The sigmoid gradient is applied to the activations (g(a2) (1 - g(a2)) "
            f"with a2 = g(z2)) instead of to z2: {got}; use sigmoid_gradient(z2) or "
            "a2 (1 - a2).",
        ),
        (
            "gradient_not_regularized",
            {"grad_reg": "none"},
            f"The gradient is not regularised: it equals the lambda-0 gradient, "
            f"{got}; add (lambda/m) Theta to the non-bias columns.",
        ),
        (
            "gradient_bias_regularized",
            {"grad_reg": "bias"},
            f"The gradient regularises the bias column too: {got}; add (lambda/m) "
            "Theta to Theta[:, 1:] only.",
        ),
        (
            "gradient_regularization_half",
            {"grad_reg_scale": 0.5},
            f"The gradient's penalty term is (lambda/(2m)) Theta, half of the "
            f"derivative (lambda/m) Theta: {got}.",
        ),
        (
            "gradient_regularization_double",
            {"grad_reg_scale": 2.0},
            f"The gradient's penalty term is (2 lambda/m) Theta, twice the "
            f"derivative (lambda/m) Theta: {got}.",
        ),
        (
            "gradient_times_m",
            {"grad_scale": "m"},
            f"The backpropagation sum over the m = {m} examples is not divided "
            f"by m: it is {data_ratio:.3g} times the course's {p.where}.",
        ),
        (
            "gradient_over_m",
            {"grad_scale": "1/m"},
            f"The backpropagation sum is divided by m twice: it is "
            f"{data_ratio:.3g} = 1/m times the course's {p.where}.",
        ),
        (
            "averaged_over_mK",
            {"average_mK": True},
            f"The gradient is averaged over m*K instead of m: it is 1/{1 / ratio:.3g} "
            f"(K = {K}) of the course's {p.where}.",
        ),
        (
            "labels_0_based",
            {"labels_0": True},
            f"The labels are read as 0..K-1 (label k on output unit k): {got}; the "
            "course's labels are 1..K, so label k is unit k-1.",
        ),
        (
            "row_major",
            {"row_major": True},
            f"The gradient is unrolled (or nn_params reshaped) row-major: {got}; use "
            "order='F' in reshape and ravel, as MATLAB's (:).",
        ),
    ]


def _position(p, index):
    n_in, n_hid, K = p.sizes
    n1 = n_hid * (n_in + 1)
    if index < n1:
        return f"Theta1[{index % n_hid}, {index // n_hid}]"
    index -= n1
    return f"Theta2[{index % K}, {index // K}]"


# -- grading nn_cost_function --------------------------------------------------


def _run_cost_function(func, problems, timeout):
    """Outcomes of nn_cost_function on every problem of both lambda sets."""
    runs = {}
    for lam_set, plist in problems.items():
        runs[lam_set] = []
        for p in plist:
            out = _call(
                func,
                (p.theta, *p.sizes, p.X, p.y, p.lam),
                timeout,
                (
                    "nn_params",
                    "input_layer_size",
                    "hidden_layer_size",
                    "num_labels",
                    "X",
                    "y",
                    "lambda_",
                ),
            )
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


def _grade_cost(fname, func, runs, timeout):
    """PartResult of a cost part, from the runs of its lambda set."""
    for p, out in runs:
        failed = _failure(fname, out, func, p.where, timeout)
        if failed is not None:
            return failed
        J, _, problem = _split_result(out.value)
        if J is None:
            return PartResult(False, f"{fname} {problem} {p.where}.", "wrong_type")
        if isinstance(J, np.ndarray) and J.ndim > 0:
            return PartResult(
                False,
                f"{fname} returns the cost as an array of shape {J.shape}, not a "
                f"number {p.where}; return float(J).",
                "cost_is_array",
            )
        try:
            if isinstance(J, bool | str | bytes):
                raise TypeError
            Jf = float(J)
        except (TypeError, ValueError):
            return PartResult(
                False,
                f"{fname} returns a cost of type {type(J).__name__}, not a number "
                f"{p.where}.",
                "wrong_type",
            )
        J_ref = _variant(p.theta, p.sizes, p.X, p.y, p.lam)[0]
        if not np.isfinite(Jf):
            return PartResult(
                False,
                f"{fname} returns J = {Jf} {p.where}; the course gives {_g(J_ref)}."
                + _warned(out),
                "not_finite",
            )
        if _close(Jf, J_ref, COST_RTOL):
            continue
        # Which classic mistake gives this number on every problem?
        for diagnosis, mistake, sentence in _cost_mistakes(p, Jf, J_ref):
            if all(
                _close(
                    _as_float(o.value),
                    _variant(q.theta, q.sizes, q.X, q.y, q.lam, **mistake)[0],
                    COST_RTOL,
                )
                for q, o in runs
                if _as_float(o.value) is not None
            ):
                return PartResult(False, sentence, diagnosis)
        return PartResult(
            False,
            f"J = {_g(Jf)} where the course gives {_g(J_ref)} {p.where} (relative "
            f"difference {abs(Jf - J_ref) / abs(J_ref):.3g}); it is none of the "
            "classic mistakes." + _warned(out),
            "differs",
        )
    n = len(runs)
    return PartResult(
        True,
        f"J matches the course's on the debugging network and {n - 1} random "
        f"networks (lambda {', '.join(f'{p.lam:g}' for p, _ in runs)}).",
    )


def _as_float(value):
    try:
        J = value[0] if isinstance(value, tuple | list) else value
        return float(J) if not isinstance(J, np.ndarray) or J.ndim == 0 else None
    except (TypeError, ValueError, IndexError):
        return None


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


def _grade_gradient(fname, func, runs, timeout):
    for p, out in runs:
        failed = _failure(fname, out, func, p.where, timeout)
        if failed is not None:
            return failed
        grad, problem = _grad_of(out.value, p)
        if grad is None:
            diagnosis = "gradient_shape" if "shape" in problem else "wrong_type"
            return PartResult(False, f"{fname} {problem} {p.where}.", diagnosis)
        grad_ref = _variant(p.theta, p.sizes, p.X, p.y, p.lam)[1]
        if not np.all(np.isfinite(grad)):
            return PartResult(
                False,
                f"{fname} returns a gradient with {int(np.sum(~np.isfinite(grad)))} "
                f"NaN or infinite entries {p.where}." + _warned(out),
                "not_finite",
            )
        if _close(grad, grad_ref, GRAD_RTOL):
            continue
        if not np.any(grad):
            return PartResult(
                False,
                f"{fname} returns a gradient of zeros {p.where} (backpropagation "
                "not written yet?).",
                "gradient_zero",
            )
        grads = [(q, _grad_of(o.value, q)[0]) for q, o in runs]
        for diagnosis, mistake, sentence in _grad_mistakes(p, grad, grad_ref):
            if all(
                _close(
                    g,
                    _variant(q.theta, q.sizes, q.X, q.y, q.lam, **mistake)[1],
                    GRAD_RTOL,
                )
                for q, g in grads
                if g is not None
            ):
                return PartResult(False, sentence, diagnosis)
        i = int(np.argmax(np.abs(grad - grad_ref)))
        rel = np.linalg.norm(grad - grad_ref) / np.linalg.norm(grad_ref)
        return PartResult(
            False,
            f"The gradient differs from the course's {p.where}: relative difference "
            f"{rel:.3g}, largest at {_position(p, i)} ({_g(grad[i])} instead of "
            f"{_g(grad_ref[i])}); it is none of the classic mistakes." + _warned(out),
            "differs",
        )
    return PartResult(
        True,
        f"The gradient matches the course's on the debugging network and "
        f"{len(runs) - 1} random networks (lambda "
        f"{', '.join(f'{p.lam:g}' for p, _ in runs)}).",
    )


# -- sigmoid_gradient, rand_initialize_weights, predict ------------------------


def _grade_sigmoid_gradient(func, timeout):
    fname = "sigmoid_gradient"
    rng = np.random.RandomState(0)
    inputs = [
        ("z = 0", np.float64(0.0)),
        ("z = [-1, -0.5, 0, 0.5, 1]", np.array([-1.0, -0.5, 0.0, 0.5, 1.0])),
        ("a 3x4 matrix", rng.normal(scale=3.0, size=(3, 4))),
        ("z = [-40, 40]", np.array([-40.0, 40.0])),
    ]
    for label, z in inputs:
        where = f"for {label}"
        out = _call(func, (z,), timeout, ("z",))
        failed = _failure(fname, out, func, where, timeout)
        if failed is not None:
            return failed
        ref = _course().sigmoid_gradient(z)
        try:
            got = np.asarray(out.value, dtype=np.float64)
        except (TypeError, ValueError):
            return PartResult(
                False,
                f"{fname} returns {type(out.value).__name__}, not numbers, {where}.",
                "wrong_type",
            )
        if got.shape != np.shape(ref) and not (got.size == 1 and np.size(ref) == 1):
            return PartResult(
                False,
                f"{fname} returns shape {got.shape} {where}, expected {np.shape(ref)}: "
                "apply it elementwise (* not @).",
                "wrong_shape",
            )
        got = got.reshape(np.shape(ref))
        if not np.all(np.isfinite(got)):
            return PartResult(
                False,
                f"{fname} returns NaN or infinity {where}." + _warned(out),
                "not_finite",
            )
        if _close(got, ref, GRAD_RTOL):
            continue
        if _close(got, z * (1 - z), GRAD_RTOL):
            return PartResult(
                False,
                f"{fname} computes z (1 - z), the formula for an activation a = g(z), "
                f"but it takes z: at z = 0.5 it gives 0.25 instead of "
                f"{_g(float(_course().sigmoid_gradient(0.5)))}; use g(z) (1 - g(z)).",
                "sigmoid_gradient_of_activation",
            )
        a = expit(z)
        if _close(got, expit(a) * (1 - expit(a)), GRAD_RTOL):
            return PartResult(
                False,
                f"{fname} applies the sigmoid twice, g(g(z)) (1 - g(g(z))): at z = 0 "
                f"it gives {_g(float(expit(0.5) * (1 - expit(0.5))))} instead of 0.25.",
                "sigmoid_gradient_of_activation",
            )
        i = int(np.argmax(np.abs(got - ref)))
        return PartResult(
            False,
            f"{fname} gives {_g(got.ravel()[i])} instead of {_g(np.ravel(ref)[i])} "
            f"at z = {_g(np.ravel(z)[i])} ({where[4:]}); the derivative of the "
            "sigmoid is g(z) (1 - g(z)).",
            "differs",
        )
    return PartResult(
        True, "g(z) (1 - g(z)) matches, elementwise, for scalars, vectors and matrices."
    )


def _grade_rand_init(func, timeout):
    fname = "rand_initialize_weights"
    draws = {}
    for l_in, l_out in ((3, 5), (400, 25), (25, 10), (400, 25)):
        where = f"for L_in = {l_in}, L_out = {l_out}"
        out = _call(func, (l_in, l_out), timeout)
        failed = _failure(fname, out, func, where, timeout)
        if failed is not None:
            return failed
        try:
            W = np.asarray(out.value, dtype=np.float64)
        except (TypeError, ValueError):
            return PartResult(
                False,
                f"{fname} returns {type(out.value).__name__} {where}, not a matrix.",
                "wrong_type",
            )
        if W.shape != (l_out, 1 + l_in):
            return PartResult(
                False,
                f"{fname} returns shape {W.shape} {where}; it must be (L_out, 1 + "
                f"L_in) = ({l_out}, {1 + l_in}), the bias in column 0.",
                "wrong_shape",
            )
        if not np.all(np.isfinite(W)):
            return PartResult(
                False, f"{fname} returns NaN or infinity {where}.", "not_finite"
            )
        bound = max(EPSILON_INIT, np.sqrt(6) / np.sqrt(l_in + l_out)) * (1 + 1e-9)
        largest = float(np.max(np.abs(W)))
        if largest > bound:
            return PartResult(
                False,
                f"{fname} returns a weight of absolute value {largest:.3g} {where}, "
                f"outside [-epsilon, epsilon] with epsilon = {EPSILON_INIT} "
                "(rand * 2 epsilon - epsilon).",
                "init_out_of_range",
            )
        if np.ptp(W) == 0:
            return PartResult(
                False,
                f"{fname} returns the same value {_g(W.flat[0])} for every weight "
                f"{where}: the hidden units stay identical; draw them at random.",
                "init_not_random",
            )
        if W.size > 1000 and (W.min() > -0.25 * largest or W.max() < 0.25 * largest):
            return PartResult(
                False,
                f"{fname} returns weights in [{W.min():.3g}, {W.max():.3g}] {where}, "
                "only one side of 0: draw uniformly in [-epsilon, epsilon] "
                "(rand * 2 epsilon - epsilon).",
                "init_out_of_range",
            )
        draws.setdefault((l_in, l_out), []).append(W)
    first, second = draws[(400, 25)]
    if np.array_equal(first, second):
        return PartResult(
            False,
            f"{fname} returns the same weights on every call (a fixed seed?): two "
            "calls for L_in = 400, L_out = 25 agree in all 10025 weights, so nothing "
            "varies between runs; draw fresh random numbers.",
            "init_not_random",
        )
    return PartResult(
        True,
        f"Shapes (L_out, 1 + L_in), weights within [-epsilon, epsilon] (largest "
        f"{largest:.3g}) and different on every call.",
    )


def _grade_predict(func, problems, timeout):
    fname = "predict"
    count = 0
    for p in problems[0]:
        T1, T2 = p.thetas
        T1, T2 = 3 * T1, 3 * T2  # larger weights: clear winners, no ties
        X = p.X
        where = p.where.replace(f", lambda {p.lam:g}", "")
        out = _call(func, (T1, T2, X), timeout, ("Theta1", "Theta2", "X"))
        failed = _failure(fname, out, func, where, timeout)
        if failed is not None:
            return failed
        ref = _course().predict(T1, T2, X)
        try:
            got = np.asarray(out.value)
        except (TypeError, ValueError):
            got = None
        if got is None or not np.issubdtype(got.dtype, np.number):
            return PartResult(
                False,
                f"{fname} returns {type(out.value).__name__} {where}, not labels.",
                "wrong_type",
            )
        m, K = X.shape[0], T2.shape[0]
        if got.shape == (m, K):
            return PartResult(
                False,
                f"{fname} returns an array of shape {got.shape} {where}, the output "
                "activations, not the labels: return np.argmax(h, axis=1) + 1.",
                "wrong_shape",
            )
        if got.shape != (m,):
            return PartResult(
                False,
                f"{fname} returns shape {got.shape} {where}; it must be the vector "
                f"of shape ({m},) of labels (a column (m, 1) broadcasts wrongly in "
                "p == y).",
                "wrong_shape",
            )
        if np.array_equal(got, ref):
            count += m
            continue
        if np.array_equal(got, ref - 1):
            return PartResult(
                False,
                f"{fname} returns labels 0..K-1 {where}: every label is 1 less than "
                "the course's (0 for label 1); the labels are 1..K, return "
                "argmax + 1.",
                "labels_0_based",
            )
        wrong = int(np.sum(got != ref))
        return PartResult(
            False,
            f"{fname} gives a different label for {wrong} of {m} samples {where} "
            f"(first: sample {int(np.argmax(got != ref))}, "
            f"{got[np.argmax(got != ref)]} instead of {ref[np.argmax(got != ref)]}).",
            "differs",
        )
    return PartResult(
        True, f"The labels match the course's for all {count} samples of 4 networks."
    )


# -- finding the functions -----------------------------------------------------


def _load_file(path):
    path = Path(path)
    if not path.is_file():
        raise ImportError(f"cannot import '{path}': no such file")
    name = "skdigits_graded_" + "".join(c if c.isalnum() else "_" for c in path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import '{path}': not a Python file")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        lines = str(exc).strip().splitlines()
        line = ""
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if f.filename == str(path) or Path(f.filename) == path
        ]
        if frames:
            line = f" (line {frames[-1].lineno})"
        if isinstance(exc, SyntaxError) and exc.lineno:
            line = f" (line {exc.lineno})"
        raise ImportError(
            f"cannot import '{path}'{line}: {type(exc).__name__}: "
            f"{lines[0] if lines else ''}"
        ) from exc
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _functions(source, overrides):
    if source is None:
        found = {}
    elif isinstance(source, dict):
        found = dict(source)
    elif isinstance(source, types.ModuleType):
        found = vars(source)
    elif isinstance(source, str | os.PathLike):
        found = vars(_load_file(source))
    else:
        raise TypeError(
            "source must be a module, a path to a .py file or a dict of functions, "
            f"got {type(source).__name__}."
        )
    known = {alias: key for key, names in FUNCTION_NAMES.items() for alias in names}
    for name in overrides:
        if name not in known:
            raise TypeError(
                f"grade() got an unknown function name {name!r}; the names are "
                + ", ".join(sorted(known))
                + "."
            )
    functions = {}
    for key, names in FUNCTION_NAMES.items():
        for name in names:
            if found.get(name) is not None:
                functions[key] = (name, found[name])
                break
    for name, func in overrides.items():
        if func is not None:
            functions[known[name]] = (name, func)
    return functions


def grade(source=None, *, timeout=5.0, **functions):
    """Grade your own exercise 4 functions against the course's, offline.

    Each part is checked against :mod:`skdigits.course` on the course's
    debugging network (3 inputs, 5 hidden units, 3 labels, 5 examples, the
    weights of :func:`~skdigits.course.debug_initialize_weights`, as
    :func:`~skdigits.course.check_nn_gradients` builds it) and on three random
    small networks, with several values of lambda. When a part fails, the
    answer is compared with the classic mistakes (bias regularised,
    ``lambda/m``, labels ``0..K-1``, row-major unrolling, ...) and the message
    names the one it makes, with the number that shows it.

    Parameters
    ----------
    source : module, str, path or dict, default=None
        Where to find the functions: a module, the path of a ``.py`` file
        (imported, so its top-level code runs), or a dict from name to
        function. Python names (``sigmoid_gradient``,
        ``rand_initialize_weights``, ``nn_cost_function``, ``predict``) and the
        course's Octave names (``sigmoidGradient``, ``randInitializeWeights``,
        ``nnCostFunction``) are accepted.

    timeout : float, default=5.0
        Seconds each call of a learner's function may take. The call runs in a
        daemon thread joined with this timeout; a call that does not return is
        reported and left running.

    **functions : callable
        Functions by the same names; they override those of ``source``.

    Returns
    -------
    report : GradeReport
        ``report.parts[name].passed`` is True, False, or None for a part whose
        function was not submitted; ``report.passed`` is True when every
        submitted part passes.

    Raises
    ------
    ImportError
        When ``source`` is a file that cannot be imported.

    Examples
    --------
    >>> from skdigits import course
    >>> report = course.grade(course)
    >>> report.passed
    True
    >>> report.parts["cost"].passed
    True
    """
    start = time.perf_counter()
    if not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(
            f"timeout must be a positive number of seconds, got {timeout!r}."
        )
    found = _functions(source, functions)
    for key, (name, func) in found.items():
        if not callable(func):
            raise TypeError(f"{name} must be a function, got {type(func).__name__}.")
    problems = _problems()
    parts = {}
    cost_parts = {}
    if "nn_cost_function" in found:
        name, func = found["nn_cost_function"]
        runs, hung = _run_cost_function(func, problems, timeout)
        if hung is not None:
            for key in ("cost", "regularized_cost", "gradient", "regularized_gradient"):
                cost_parts[key] = PartResult(
                    False,
                    f"{name} did not return within {timeout:g} s; it is left running "
                    "in a background thread (an endless loop?).",
                    "timeout",
                )
        else:
            cost_parts["cost"] = _grade_cost(name, func, runs[0], timeout)
            cost_parts["regularized_cost"] = _grade_cost(name, func, runs[1], timeout)
            cost_parts["gradient"] = _grade_gradient(name, func, runs[0], timeout)
            cost_parts["regularized_gradient"] = _grade_gradient(
                name, func, runs[1], timeout
            )
    for part, key in PARTS.items():
        if key not in found:
            names = " or ".join(FUNCTION_NAMES[key])
            parts[part] = PartResult(None, f"Not submitted (no function {names}).")
        elif key == "nn_cost_function":
            parts[part] = cost_parts[part]
        elif key == "sigmoid_gradient":
            parts[part] = _grade_sigmoid_gradient(found[key][1], timeout)
        elif key == "rand_initialize_weights":
            parts[part] = _grade_rand_init(found[key][1], timeout)
        else:
            parts[part] = _grade_predict(found[key][1], problems, timeout)
    return GradeReport(parts, time.perf_counter() - start)


def main(argv=None):
    """``python -m skdigits grade FILE``: print the report; exit 0, 1 or 2."""
    parser = argparse.ArgumentParser(
        prog="python -m skdigits grade",
        description=(
            "Grade your own exercise 4 functions (sigmoidGradient, "
            "randInitializeWeights, nnCostFunction, predict; Python or Octave "
            "names) against the course's, offline, and name the classic mistake "
            "each failing part makes."
        ),
        epilog="Exit code: 0 when every submitted part passes, 1 otherwise, 2 when "
        "FILE cannot be imported.",
    )
    parser.add_argument("file", metavar="FILE", help="your Python file, e.g. ex4.py")
    parser.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds each call of your functions may take (default: 5)",
    )
    args = parser.parse_args(argv)
    if not args.timeout > 0:
        parser.error(f"--timeout must be positive, got {args.timeout}.")
    try:
        report = grade(args.file, timeout=args.timeout)
    except (ImportError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(str(report))
    return 0 if report.passed else 1
