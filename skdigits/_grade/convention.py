"""The convention a learner's cost function follows, found from its answers."""

from skdigits._grade.answers import read_cost, read_gradient
from skdigits._grade.mistakes import (
    COST_MISTAKES,
    GRADIENT_MISTAKES,
    convention_facts,
    diagnose,
)
from skdigits._grade.reference import COST_RTOL, GRAD_RTOL, close


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
