"""Grading ``nn_cost_function`` (and a separate gradient function): the cost
and gradient parts, each with and without regularisation, in the learner's
convention."""

import numpy as np

from skdigits._grade.answers import read_cost, read_gradient
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
from skdigits._grade.run import failure, g, warned


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
