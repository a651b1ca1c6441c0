"""Grading ``sigmoid_gradient``, ``rand_initialize_weights`` and ``predict``."""

import numpy as np
from scipy.special import expit

from skdigits._grade.reference import GRAD_RTOL, close, course
from skdigits._grade.report import PartResult
from skdigits._grade.run import checked_call, g, warned

EPSILON_INIT = 0.12


def _float_array(value):
    """``value`` as a float array, or None when it holds no numbers."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None


# -- sigmoid_gradient ----------------------------------------------------------


def _sigmoid_inputs():
    rng = np.random.RandomState(0)
    return [
        ("z = 0", np.float64(0.0)),
        ("z = [-1, -0.5, 0, 0.5, 1]", np.array([-1.0, -0.5, 0.0, 0.5, 1.0])),
        ("a 3x4 matrix", rng.normal(scale=3.0, size=(3, 4))),
        ("z = [-40, 40]", np.array([-40.0, 40.0])),
    ]


def _sigmoid_mistake(fname, got, z):
    """The PartResult of a classic sigmoid-gradient mistake ``got`` makes, or None."""
    if close(got, z * (1 - z), GRAD_RTOL):
        return PartResult(
            False,
            f"{fname} computes z (1 - z), the formula for an activation a = g(z), "
            f"but it takes z: at z = 0.5 it gives 0.25 instead of "
            f"{g(float(course().sigmoid_gradient(0.5)))}; use g(z) (1 - g(z)).",
            "sigmoid_gradient_of_activation",
        )
    a = expit(z)
    if close(got, expit(a) * (1 - expit(a)), GRAD_RTOL):
        return PartResult(
            False,
            f"{fname} applies the sigmoid twice, g(g(z)) (1 - g(g(z))): at z = 0 "
            f"it gives {g(float(expit(0.5) * (1 - expit(0.5))))} instead of 0.25.",
            "sigmoid_gradient_of_activation",
        )
    return None


def _sigmoid_finding(fname, out, z, where):
    """None when ``out`` is the course's sigmoid gradient of ``z``, else the finding."""
    ref = course().sigmoid_gradient(z)
    got = _float_array(out.value)
    if got is None:
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
            f"{fname} returns NaN or infinity {where}." + warned(out),
            "not_finite",
        )
    if close(got, ref, GRAD_RTOL):
        return None
    found = _sigmoid_mistake(fname, got, z)
    if found is not None:
        return found
    i = int(np.argmax(np.abs(got - ref)))
    return PartResult(
        False,
        f"{fname} gives {g(got.ravel()[i])} instead of {g(np.ravel(ref)[i])} "
        f"at z = {g(np.ravel(z)[i])} ({where[4:]}); the derivative of the "
        "sigmoid is g(z) (1 - g(z)).",
        "differs",
    )


def grade_sigmoid_gradient(func, timeout):
    """PartResult of ``sigmoid_gradient`` on a scalar, vectors and a matrix."""
    fname = "sigmoid_gradient"
    for label, z in _sigmoid_inputs():
        where = f"for {label}"
        out, found = checked_call(fname, func, (z,), timeout, where, ("z",))
        if found is None:
            found = _sigmoid_finding(fname, out, z, where)
        if found is not None:
            return found
    return PartResult(
        True, "g(z) (1 - g(z)) matches, elementwise, for scalars, vectors and matrices."
    )


# -- rand_initialize_weights ---------------------------------------------------


def _weights_finding(fname, W, l_in, l_out, where):
    """None when ``W`` is a fine random initialisation, else the finding."""
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
            f"{fname} returns the same value {g(W.flat[0])} for every weight "
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
    return None


def grade_rand_init(func, timeout):
    """PartResult of ``rand_initialize_weights``: shapes, range, randomness."""
    fname = "rand_initialize_weights"
    draws = []
    for l_in, l_out in ((3, 5), (400, 25), (25, 10), (400, 25)):
        where = f"for L_in = {l_in}, L_out = {l_out}"
        out, found = checked_call(fname, func, (l_in, l_out), timeout, where)
        if found is not None:
            return found
        W = _float_array(out.value)
        if W is None:
            return PartResult(
                False,
                f"{fname} returns {type(out.value).__name__} {where}, not a matrix.",
                "wrong_type",
            )
        found = _weights_finding(fname, W, l_in, l_out, where)
        if found is not None:
            return found
        draws.append(W)
    if np.array_equal(draws[1], draws[3]):
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
        f"{float(np.max(np.abs(W))):.3g}) and different on every call.",
    )


# -- predict -------------------------------------------------------------------


def _labels_finding(fname, value, ref, m, K, where):
    """None when ``value`` are the labels ``ref``, else the finding."""
    try:
        got = np.asarray(value)
    except (TypeError, ValueError):
        got = None
    if got is None or not np.issubdtype(got.dtype, np.number):
        return PartResult(
            False,
            f"{fname} returns {type(value).__name__} {where}, not labels.",
            "wrong_type",
        )
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
        return None
    if np.array_equal(got, ref - 1):
        return PartResult(
            False,
            f"{fname} returns labels 0..K-1 {where}: every label is 1 less than "
            "the course's (0 for label 1); the labels are 1..K, return "
            "argmax + 1.",
            "labels_0_based",
        )
    first = int(np.argmax(got != ref))
    return PartResult(
        False,
        f"{fname} gives a different label for {int(np.sum(got != ref))} of {m} "
        f"samples {where} (first: sample {first}, {got[first]} instead of "
        f"{ref[first]}).",
        "differs",
    )


def grade_predict(func, timeout, problems):
    """PartResult of ``predict`` on the networks of lambda set 0."""
    fname = "predict"
    count = 0
    for p in problems[0]:
        T1, T2 = p.thetas
        T1, T2 = 3 * T1, 3 * T2  # larger weights: clear winners, no ties
        where = p.where.replace(f", lambda {p.lam:g}", "")
        out, found = checked_call(
            fname, func, (T1, T2, p.X), timeout, where, ("Theta1", "Theta2", "X")
        )
        if found is None:
            ref = course().predict(T1, T2, p.X)
            m, K = p.X.shape[0], T2.shape[0]
            found = _labels_finding(fname, out.value, ref, m, K, where)
        if found is not None:
            return found
        count += p.X.shape[0]
    return PartResult(
        True, f"The labels match the course's for all {count} samples of 4 networks."
    )
