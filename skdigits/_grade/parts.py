"""Grading ``sigmoid_gradient``, ``rand_initialize_weights`` and ``predict``."""

import numpy as np
from scipy.special import expit

from skdigits._grade.reference import (
    GRAD_RTOL,
    close,
    predict_labels,
    sigmoid_gradient,
)
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
    """``(label, z, required)``: arrays first; Python and NumPy scalars optional."""
    rng = np.random.RandomState(0)
    return [
        ("z = [-1, -0.5, 0, 0.5, 1]", np.array([-1.0, -0.5, 0.0, 0.5, 1.0]), True),
        ("a 3x4 matrix", rng.normal(scale=3.0, size=(3, 4)), True),
        (
            "the course grader's 3x10 matrix",
            3 * np.sin(np.arange(1, 31)).reshape((3, 10), order="F"),
            True,
        ),
        ("z = [-40, 40]", np.array([-40.0, 40.0]), True),
        ("the Python float z = 0.0", 0.0, False),
        ("the NumPy scalar z = np.float64(0.5)", np.float64(0.5), False),
    ]


def _sigmoid_mistake(fname, got, z):
    """The PartResult of a classic sigmoid-gradient mistake ``got`` makes, or None."""
    if close(got, z * (1 - z), GRAD_RTOL):
        return PartResult(
            False,
            f"{fname} computes z (1 - z), the formula for an activation a = g(z), "
            f"but it takes z: at z = 0.5 it gives 0.25 instead of "
            f"{g(float(sigmoid_gradient(0.5)))}; use g(z) (1 - g(z)).",
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
    ref = sigmoid_gradient(z)
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
    if got.size > 1 and not np.any(got):
        return PartResult(
            False,
            f"{fname} returns zeros {where}: the template's np.zeros, not filled "
            "in yet; the derivative of the sigmoid is g(z) (1 - g(z)).",
            "template",
        )
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


def grade_sigmoid_gradient(func, timeout, fname="sigmoid_gradient"):
    """PartResult of ``sigmoid_gradient`` on vectors, matrices and scalars.

    Vectors and matrices are required; a function that does not take Python
    or NumPy scalars passes with a note, and the message says what was tried.
    """
    worked, notes = [], []
    for label, z, required in _sigmoid_inputs():
        where = f"for {label}"
        out, found = checked_call(fname, func, (z,), timeout, where, ("z",))
        if found is None:
            found = _sigmoid_finding(fname, out, z, where)
        if found is not None:
            if required or found.diagnosis not in ("raises", "wrong_type"):
                return found
            notes.append(found.message)
            continue
        worked.append(label)
    tried = "vectors and matrices (z = [-40, 40] among them)"
    scalars = [w for w in worked if "scalar" in w or "float" in w]
    if scalars:
        tried += " and on " + " and ".join(scalars)
    message = f"g(z) (1 - g(z)) matches, elementwise, on {tried}."
    if notes:
        message += " Note (not a failure, the exercise passes arrays): " + " ".join(
            notes
        )
    return PartResult(True, message)


# -- rand_initialize_weights ---------------------------------------------------


def _weights_finding(fname, W, l_in, l_out, where):
    """None when ``W`` is a fine random initialisation, else the finding."""
    if W.shape != (l_out, 1 + l_in):
        known = {
            (1 + l_in, l_out): "transposed, (1 + L_in, L_out)",
            (l_out, l_in): "without the bias column, (L_out, L_in)",
            (l_in, 1 + l_out): "with L_in and L_out swapped, (L_in, 1 + L_out)",
            (1 + l_out, l_in): "transposed with L_in and L_out swapped",
            (l_in, l_out): "(L_in, L_out), without the bias column",
        }
        what = known.get(W.shape)
        what = f": the weight matrix {what}" if what else ""
        return PartResult(
            False,
            f"{fname} returns shape {W.shape} {where}{what}; it must be "
            f"(L_out, 1 + L_in) = ({l_out}, {1 + l_in}), one row per unit of "
            "the next layer, the bias in column 0.",
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
    if not np.any(W):
        return PartResult(
            False,
            f"{fname} returns zeros {where}: the template's np.zeros, not filled "
            "in yet (with equal weights the hidden units stay identical); draw "
            "them uniformly in [-epsilon, epsilon].",
            "template",
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


def grade_rand_init(func, timeout, fname="rand_initialize_weights"):
    """PartResult of ``rand_initialize_weights``: shapes, range, randomness."""
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


def _labels_finding(fname, value, ref, m, K, where, bases, cost_name):
    """``(finding or None, base, note)``: whether ``value`` are the labels.

    ``ref`` are the classes 0..K-1; ``bases`` the label bases accepted (the
    learner's own, or both when it is not known).
    """
    try:
        got = np.asarray(value)
    except (TypeError, ValueError):
        got = None
    if got is None or not np.issubdtype(got.dtype, np.number):
        return (
            PartResult(
                False,
                f"{fname} returns {type(value).__name__} {where}, not labels.",
                "wrong_type",
            ),
            None,
            None,
        )
    if got.shape == (m, K):
        return (
            PartResult(
                False,
                f"{fname} returns an array of shape {got.shape} {where}, the output "
                "activations, not the labels: return np.argmax(h, axis=1)"
                + (" + 1." if bases == (1,) else "."),
                "wrong_shape",
            ),
            None,
            None,
        )
    note = None
    if got.shape in ((m, 1), (1, m)):
        note = (
            f"The labels are returned with shape {got.shape}, accepted; compare "
            "with a y of the same shape (a column against a vector broadcasts "
            "to an m x m matrix in p == y)."
        )
        got = got.ravel()
    if got.shape != (m,):
        return (
            PartResult(
                False,
                f"{fname} returns shape {got.shape} {where}; it must be the {m} "
                "labels, one per row of X.",
                "wrong_shape",
            ),
            None,
            None,
        )
    for base in bases:
        if np.array_equal(got, ref + base):
            return None, base, note
    for base in (0, 1):
        if base not in bases and np.array_equal(got, ref + base):
            other = "1..K" if base == 1 else "0..K-1"
            own = "1..K" if bases[0] == 1 else "0..K-1"
            return (
                PartResult(
                    False,
                    f"{fname} returns labels {other} {where}, while your "
                    f"{cost_name} reads labels {own}: use one label base "
                    f"everywhere ({'argmax + 1' if own == '1..K' else 'argmax'}).",
                    "labels_inconsistent",
                ),
                None,
                None,
            )
    first = int(np.argmax(got != ref + bases[0]))
    return (
        PartResult(
            False,
            f"{fname} gives a different label for {int(np.sum(got != ref + bases[0]))} "
            f"of {m} samples {where} (first: sample {first}, {got[first]} instead of "
            f"{ref[first] + bases[0]}).",
            "differs",
        ),
        None,
        None,
    )


def grade_predict(
    func, timeout, problems, base=None, fname="predict", cost_name="nn_cost_function"
):
    """PartResult of ``predict`` on the networks of lambda set 0.

    ``base`` is the label base of the learner's convention, or None when it
    is not known (then either base passes, the same on every network).
    """
    count = 0
    bases = (1, 0) if base is None else (base,)
    notes = []
    for p in problems[0]:
        T1, T2 = 3 * p.T1, 3 * p.T2  # larger weights: clear winners, no ties
        where = p.where.replace(f", lambda {p.lam:g}", "")
        out, found = checked_call(
            fname, func, (T1, T2, p.X), timeout, where, ("Theta1", "Theta2", "X")
        )
        if found is None:
            ref = predict_labels(T1, T2, p.X, base=0)
            found, seen, note = _labels_finding(
                fname, out.value, ref, p.m, T2.shape[0], where, bases, cost_name
            )
            if found is None:
                bases = (seen,)
                if note and note not in notes:
                    notes.append(note)
        if found is not None:
            return found
        count += p.m
    labels = "1..K" if bases[0] == 1 else "0..K-1"
    return PartResult(
        True,
        " ".join(
            [
                f"The labels ({labels}) match the course's for all {count} "
                f"samples of {len(problems[0])} networks.",
                *notes,
            ]
        ),
    )
