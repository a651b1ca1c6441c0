"""Grading ``nn_cost_function`` (and a separate gradient function): the
convention detected, then the cost and gradient parts, each with and without
regularisation, graded in that convention."""

from dataclasses import dataclass

import numpy as np

from skdigits._grade.mistakes import (
    COST_MISTAKES,
    GRADIENT_MISTAKES,
    convention_facts,
    cost_facts,
    diagnose,
    gradient_facts,
)
from skdigits._grade.reference import (
    COST_RTOL,
    GRAD_RTOL,
    GRADER_LAMBDAS,
    GRADER_NAME,
    close,
)
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


@dataclass
class Run:
    """One problem in one convention: the outcomes of the cost and the gradient.

    ``gout`` is the outcome the gradient is read from: ``out`` itself when
    ``pair`` (the cost function returns ``(J, grad)``), else the separate
    gradient function's.
    """

    p: object
    out: object
    gout: object
    pair: bool


@dataclass
class Functions:
    """The learner's cost function and gradient function, with their names."""

    cost_name: str
    cost: object
    grad_name: object = None
    grad: object = None
    grad_explicit: bool = False


def run_cost_function(fns, problems, convs, timeout):
    """``(runs, hung)``: ``runs[conv][lam_set]`` lists the :class:`Run` s.

    ``hung`` is the outcome of a call that timed out (the runs stop there),
    or None.
    """
    runs = {}
    use_grad = fns.grad is not None and fns.grad_explicit
    for conv in convs:
        runs[conv] = {}
        for lam_set, plist in problems.items():
            runs[conv][lam_set] = found = []
            for p in plist:
                args = p.args(conv)
                out = call(fns.cost, args, timeout, ARG_NAMES)
                if out.timed_out:
                    return runs, out
                single = out.error is None and not isinstance(out.value, tuple | list)
                if fns.grad is not None and (use_grad or single):
                    gout = call(fns.grad, args, timeout, ARG_NAMES)
                    if gout.timed_out:
                        return runs, gout
                    found.append(Run(p, out, gout, False))
                else:
                    found.append(Run(p, out, out, True))
    return runs, None


# -- reading the answers -------------------------------------------------------


def read_cost(value):
    """``(J, problem, note)``: J as a float, or None with the problem."""
    if isinstance(value, tuple | list):
        if len(value) != 2:
            return (
                None,
                f"returns {len(value)} values, not J or the pair (J, grad)",
                None,
            )
        value = value[0]
    note = None
    if isinstance(value, np.ndarray) and value.ndim > 0:
        if value.size != 1:
            return None, f"returns the cost as an array of shape {value.shape}", None
        note = (
            f"J is returned as an array of shape {value.shape}, accepted; "
            "optimizers and print want a number: return J.item()."
        )
        value = value.reshape(())
    try:
        if isinstance(value, bool | str | bytes) or value is None:
            raise TypeError
        return float(value), None, note
    except (TypeError, ValueError):
        return (
            None,
            f"returns a cost of type {type(value).__name__}, not a number",
            None,
        )


def read_gradient(run):
    """``(grad, problem, note)``: the gradient as a flat float array, or None."""
    value = run.gout.value
    if run.pair:
        if not isinstance(value, tuple | list):
            return None, "returns a single value, not the pair (J, grad)", None
        if len(value) != 2:
            return None, f"returns {len(value)} values, not the pair (J, grad)", None
        value = value[1]
    elif isinstance(value, tuple | list) and len(value) == 2:
        value = value[1]  # a gradient function returning (J, grad)
    if value is None:
        return None, "returns None as the gradient", None
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return (
            None,
            f"returns a gradient of type {type(value).__name__}, not an array",
            None,
        )
    n = run.p.T1.size + run.p.T2.size
    note = None
    if arr.shape in ((n, 1), (1, n)):
        note = (
            f"The gradient is returned with shape {arr.shape}, accepted; "
            f"scipy.optimize wants the flat vector of shape ({n},): return "
            "grad.ravel()."
        )
        arr = arr.ravel()
    if arr.shape != (n,):
        return (
            None,
            (
                f"returns the gradient with shape {arr.shape}; it must be the flat "
                f"vector of shape ({n},) of both unrolled gradients "
                "(np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()]))"
            ),
            None,
        )
    return arr, None, note


# -- the convention ------------------------------------------------------------


def _matches(run, conv):
    """How many of (cost, gradient) of ``run`` are the course's in ``conv``."""
    if run.out.error is not None:
        return 0
    J_ref, grad_ref = run.p.solve(conv.order)
    J = read_cost(run.out.value)[0]
    count = int(J is not None and close(J, J_ref, COST_RTOL))
    if run.gout.error is None:
        grad = read_gradient(run)[0]
        count += int(grad is not None and close(grad, grad_ref, GRAD_RTOL))
    return count


def _explained(runs_c, conv):
    """How many parts a classic mistake (not a convention mix-up) explains."""
    count = 0
    for lam_set, rlist in runs_c.items():
        costs = [
            (r.p, read_cost(r.out.value)[0] if r.out.error is None else None)
            for r in rlist
        ]
        grads = [
            (r.p, read_gradient(r)[0] if r.gout.error is None else None) for r in rlist
        ]
        p = rlist[0].p
        facts = {
            **convention_facts(conv),
            "m": p.m,
            "K": p.sizes[2],
            "ratio": 0,
            "data_factor": 0,
            "too_small": 0,
            "got": "",
            "where": "",
            "data_ratio": 0,
            "inverse_ratio": 0,
        }
        for mistakes, answers, output, rtol in (
            (COST_MISTAKES, costs, 0, COST_RTOL),
            (GRADIENT_MISTAKES, grads, 1, GRAD_RTOL),
        ):
            if diagnose(mistakes, conv, facts, answers, output, rtol, flips=False):
                count += 1
    return count


def detect(runs):
    """``(convention, detected)``: the convention the most answers agree with.

    Ties go to the first convention of ``runs`` (the most likely). When no
    answer matches in any convention, the one where classic mistakes explain
    the most parts, and ``detected`` is False.
    """
    convs = list(runs)
    scores = {
        c: sum(_matches(r, c) for rlist in runs[c].values() for r in rlist)
        for c in convs
    }
    best = max(convs, key=lambda c: (scores[c], -convs.index(c)))
    if scores[best] > 0:
        return best, True
    explained = {c: _explained(runs[c], c) for c in convs}
    best = max(convs, key=lambda c: (explained[c], -convs.index(c)))
    return best, explained[best] > 0


# -- the parts -----------------------------------------------------------------


def _label_advice(conv):
    if conv.base is None:
        return None
    return (
        f"y holds labels {'1..K' if conv.base == 1 else '0..K-1'} here; "
        + convention_facts(conv)["label_advice"]
    )


def _bias_positions(p, order):
    """A boolean mask of the bias weights in the unrolled vector."""
    B1 = np.zeros(p.T1.shape, dtype=bool)
    B2 = np.zeros(p.T2.shape, dtype=bool)
    B1[:, 0] = B2[:, 0] = True
    return np.concatenate([B1.ravel(order=order), B2.ravel(order=order)])


def _mutation_finding(fname, out, p, conv):
    if not out.mutated:
        return None
    if list(out.mutated) == ["nn_params"]:
        before, after = out.changes["nn_params"]
        changed = before != after
        bias = _bias_positions(p, conv.order)
        if (
            after.shape == before.shape
            and changed.any()
            and not (changed & ~bias).any()
            and np.all(after[changed] == 0)
        ):
            return PartResult(
                False,
                f"{fname} sets bias weights to 0 inside nn_params itself {p.where}: "
                "Theta1 and Theta2 reshaped from nn_params are views of it, not "
                "copies, so zeroing their column 0 changes the caller's "
                "parameters (an optimizer's current point loses its bias weights "
                "at every call); zero the bias column of a copy "
                "(Theta1.copy()) or use Theta1[:, 1:] in the penalty.",
                "bias_zeroed_in_input",
            )
    names = " and ".join(out.mutated)
    return PartResult(
        False,
        f"{fname} changed its input {names} in place {p.where}; work on a copy "
        f"(for example {out.mutated[0]} = {out.mutated[0]}.copy()).",
        "mutates_input",
    )


def _cost_finding(fname, run, rlist, conv):
    """None when the cost of ``run`` is the course's, else the finding."""
    p = run.p
    J, problem, _ = read_cost(run.out.value)
    if J is None:
        return PartResult(False, f"{fname} {problem} {p.where}.", "wrong_type")
    J_ref = p.solve(conv.order)[0]
    if not np.isfinite(J):
        return PartResult(
            False,
            f"{fname} returns J = {J} {p.where}; the course gives {g(J_ref)}."
            + warned(run.out),
            "not_finite",
        )
    if close(J, J_ref, COST_RTOL):
        return None
    costs = [
        (r.p, read_cost(r.out.value)[0] if r.out.error is None else None) for r in rlist
    ]
    if all(c == 0 for _, c in costs):
        return PartResult(
            False,
            f"{fname} returns J = 0 on every network (the course gives "
            f"{g(J_ref)} {p.where}): the template's J = 0, not filled in yet.",
            "template",
        )
    found = diagnose(
        COST_MISTAKES, conv, cost_facts(p, conv, J, J_ref), costs, 0, COST_RTOL
    )
    if found is not None:
        return found
    return PartResult(
        False,
        f"J = {g(J)} where the course gives {g(J_ref)} {p.where} (relative "
        f"difference {abs(J - J_ref) / abs(J_ref):.3g}); it is none of the "
        "classic mistakes." + warned(run.out),
        "differs",
    )


def _gradient_finding(fname, run, rlist, conv):
    """None when the gradient of ``run`` is the course's, else the finding."""
    p = run.p
    grad, problem, _ = read_gradient(run)
    if grad is None:
        diagnosis = "gradient_shape" if "shape" in problem else "wrong_type"
        return PartResult(False, f"{fname} {problem} {p.where}.", diagnosis)
    grad_ref = p.solve(conv.order)[1]
    if not np.all(np.isfinite(grad)):
        return PartResult(
            False,
            f"{fname} returns a gradient with {int(np.sum(~np.isfinite(grad)))} "
            f"NaN or infinite entries {p.where}." + warned(run.gout),
            "not_finite",
        )
    if close(grad, grad_ref, GRAD_RTOL):
        return None
    grads = [
        (r.p, read_gradient(r)[0] if r.gout.error is None else None) for r in rlist
    ]
    if all(gr is not None and not np.any(gr) for _, gr in grads):
        return PartResult(
            False,
            f"{fname} returns a gradient of zeros on every network: the "
            "template's np.zeros, backpropagation not written yet.",
            "template",
        )
    found = diagnose(
        GRADIENT_MISTAKES,
        conv,
        gradient_facts(p, conv, grad, grad_ref),
        grads,
        1,
        GRAD_RTOL,
    )
    if found is not None:
        return found
    i = int(np.argmax(np.abs(grad - grad_ref)))
    rel = np.linalg.norm(grad - grad_ref) / np.linalg.norm(grad_ref)
    return PartResult(
        False,
        f"The gradient differs from the course's {p.where}: relative difference "
        f"{rel:.3g}, largest at {p.position(i, conv.order)} ({g(grad[i])} "
        f"instead of {g(grad_ref[i])}); it is none of the classic mistakes."
        + warned(run.gout),
        "differs",
    )


def _networks(rlist):
    names = []
    for r in rlist:
        if r.p.name not in names:
            names.append(r.p.name)
    randoms = [n for n in names if n.startswith("random")]
    named = [n for n in names if not n.startswith("random")]
    items = [f"the {n}" for n in named] + [f"{len(randoms)} random networks"]
    return ", ".join(items[:-1]) + " and " + items[-1]


def grade_part(kind, fns, rlist, conv, timeout):
    """The PartResult of one cost part (``kind`` "cost" or "gradient")."""
    if kind == "cost":
        fname, func, finding = fns.cost_name, fns.cost, _cost_finding
    else:
        fname = fns.grad_name if not rlist[0].pair else fns.cost_name
        func = fns.grad if not rlist[0].pair else fns.cost
        finding = _gradient_finding
        if (
            rlist[0].pair
            and fns.grad is None
            and all(
                r.out.error is None and not isinstance(r.out.value, tuple | list)
                for r in rlist
            )
        ):
            return PartResult(
                False,
                f"{fname} returns J only, and no gradient function was found: "
                "return (J, grad), or name the gradient function nn_gradient "
                "(nnGradient), or give it: grade(..., gradient=f), "
                "--gradient NAME.",
                "no_gradient",
            )
    advice = _label_advice(conv)
    value_found = mutation = None
    notes = []
    for run in rlist:
        out = run.out if kind == "cost" else run.gout
        found = failure(fname, out, func, run.p.where, timeout, advice, False)
        if found is None:
            found = finding(fname, run, rlist, conv)
        if found is None:
            reader = read_cost if kind == "cost" else None
            note = (reader(out.value) if reader else read_gradient(run))[2]
            if note and note not in notes:
                notes.append(note)
        if value_found is None and found is not None:
            value_found = found
        if mutation is None:
            mutation = _mutation_finding(fname, out, run.p, conv)
    if mutation is not None:
        if value_found is None:
            return PartResult(
                False,
                mutation.message + " The values returned are the course's.",
                mutation.diagnosis,
            )
        return PartResult(
            False,
            f"{mutation.message} Also: {value_found.message}",
            mutation.diagnosis,
        )
    if value_found is not None:
        return value_found
    what = "J matches" if kind == "cost" else "The gradient matches"
    lams = sorted({r.p.lam for r in rlist})
    message = (
        f"{what} the course's on {_networks(rlist)} (lambda "
        f"{', '.join(f'{lam:g}' for lam in lams)})."
    )
    return PartResult(True, " ".join([message, *notes]))


def grader_numbers(fns, runs_c, conv):
    """A sentence with the course grader's network's numbers, the learner's too."""
    parts = []
    for lam_set, lam in enumerate(GRADER_LAMBDAS):
        run = next(r for r in runs_c[lam_set] if r.p.name == GRADER_NAME)
        J_ref = run.p.solve(conv.order)[0]
        J = read_cost(run.out.value)[0] if run.out.error is None else None
        yours = g(J) if J is not None else "no number"
        parts.append(f"J = {g(J_ref)} at lambda {lam:g} (yours: {yours})")
    p = run.p
    n_in, n_hid, K = p.sizes
    return (
        f"The {GRADER_NAME} ({n_in}-{n_hid}-{K}, m = {p.m}, the one the course's "
        f"submit scripts send, in your convention): the course gives "
        + " and ".join(parts)
        + "."
    )
