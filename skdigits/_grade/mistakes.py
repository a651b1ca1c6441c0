"""The classic mistakes of the cost and the gradient, as tables of variants.

Each row is ``(diagnosis, mistake, sentence)``: ``mistake`` are the keyword
arguments of :func:`~skdigits._grade.reference.variant` that make the mistake,
``sentence`` the finding, formatted with the numbers of :func:`cost_facts` or
:func:`gradient_facts`. Mistakes are relative to the learner's own
convention: ``"OTHER"`` stands for the other unrolling order, and
``label_other`` for labels read in the other base. The rows are tried in
order; the first variant that gives the learner's answer on every problem
names the mistake.
"""

import numpy as np

from skdigits._grade.reference import ORDER_NAMES, close
from skdigits._grade.report import PartResult
from skdigits._grade.run import g

_LABELS_OTHER = (
    "The labels are read as {other_labels} while the rest of your code uses "
    "{labels}: {got}; {label_advice}"
)
_READ_OTHER = (
    "nn_params is reshaped {other_order} ({other_np}) while the rest of your code "
    "unrolls {order}: {got}; reshape and unroll in one order everywhere."
)

COST_MISTAKES = (
    (
        "bias_regularized",
        {"reg_bias": True},
        "The penalty includes the bias column (column 0 of each Theta): {got}; "
        "regularise Theta[:, 1:] only.",
    ),
    (
        "lambda_over_m",
        {"penalty_scale": 2.0},
        "The penalty uses lambda/m instead of lambda/(2m): it is {ratio:.3g} "
        "times the course's, {got}.",
    ),
    (
        "no_one_over_m",
        {"penalty_scale": "m"},
        "The penalty is not divided by m (lambda/2 instead of lambda/(2m)): it "
        "is {ratio:.3g} = m times the course's (m = {m}), {got}.",
    ),
    (
        "no_one_over_m",
        {"penalty_scale": "2m"},
        "The penalty uses lambda instead of lambda/(2m): it is {ratio:.3g} = 2m "
        "times the course's, {got}.",
    ),
    (
        "averaged_over_mK",
        {"average_mK": True},
        "The cost is averaged over m*K instead of m: {got}, its "
        "cross-entropy term {data_factor:.3g} times smaller (K = {K}); sum "
        "over the K output units, divide by m only.",
    ),
    (
        "averaged_over_mK",
        {"average_mK": True, "penalty_scale": "1/K"},
        "The cost is divided by m*K instead of m: {got}, "
        "{too_small:.3g} = K times too small; sum over the K "
        "output units, divide by m only.",
    ),
    (
        "dropped_negative_term",
        {"drop_neg": True},
        "The (1 - y) log(1 - h) term is missing, only the true class's "
        "-y log(h) is kept: {got}.",
    ),
    ("labels_inconsistent", {"label_other": True}, _LABELS_OTHER),
    ("labels_inconsistent", {"label_other": True, "label_wrap": True}, _LABELS_OTHER),
    ("unrolling_inconsistent", {"read1": "OTHER", "read2": "OTHER"}, _READ_OTHER),
    (
        "unrolling_inconsistent",
        {"read1": "OTHER"},
        "Theta1 is reshaped {other_order} and Theta2 {order}: {got}; reshape "
        "both in one order.",
    ),
    (
        "unrolling_inconsistent",
        {"read2": "OTHER"},
        "Theta2 is reshaped {other_order} and Theta1 {order}: {got}; reshape "
        "both in one order.",
    ),
)

GRADIENT_MISTAKES = (
    (
        "sigmoid_gradient_of_activation",
        {"act_grad": True},
        "The sigmoid gradient is applied to the activations (g(a2) (1 - g(a2)) "
        "with a2 = g(z2)) instead of to z2: {got}; use sigmoid_gradient(z2) or "
        "a2 (1 - a2).",
    ),
    (
        "gradient_not_regularized",
        {"grad_reg": "none"},
        "The gradient is not regularised: it equals the lambda-0 gradient, "
        "{got}; add (lambda/m) Theta to the non-bias columns.",
    ),
    (
        "gradient_bias_regularized",
        {"grad_reg": "bias"},
        "The gradient regularises the bias column too: {got}; add (lambda/m) "
        "Theta to Theta[:, 1:] only.",
    ),
    (
        "gradient_regularization_not_over_m",
        {"grad_reg_scale": "m"},
        "The gradient's penalty term is lambda * Theta, not (lambda/m) Theta: "
        "it is m = {m} times too large, {got}.",
    ),
    (
        "gradient_regularization_half",
        {"grad_reg_scale": 0.5},
        "The gradient's penalty term is (lambda/(2m)) Theta, half of the "
        "derivative (lambda/m) Theta: {got}.",
    ),
    (
        "gradient_regularization_double",
        {"grad_reg_scale": 2.0},
        "The gradient's penalty term is (2 lambda/m) Theta, twice the "
        "derivative (lambda/m) Theta: {got}.",
    ),
    (
        "gradient_times_m",
        {"grad_scale": "m"},
        "The backpropagation sum over the m = {m} examples is not divided "
        "by m: it is {data_ratio:.3g} times the course's {where}.",
    ),
    (
        "gradient_over_m",
        {"grad_scale": "1/m"},
        "The backpropagation sum is divided by m twice: it is "
        "{data_ratio:.3g} = 1/m times the course's {where}.",
    ),
    (
        "averaged_over_mK",
        {"average_mK": True},
        "The gradient is averaged over m*K instead of m: it is 1/{inverse_ratio:.3g} "
        "(K = {K}) of the course's {where}.",
    ),
    ("labels_inconsistent", {"label_other": True}, _LABELS_OTHER),
    ("labels_inconsistent", {"label_other": True, "label_wrap": True}, _LABELS_OTHER),
    (
        "unrolling_inconsistent",
        {"ravel": "OTHER"},
        "The gradient is unrolled {other_order} ({other_np}) while nn_params is "
        "read {order}: {got}; unroll the gradient in the order you reshape in.",
    ),
    (
        "unrolling_inconsistent",
        {"read1": "OTHER", "read2": "OTHER", "ravel": "OTHER"},
        "nn_params is reshaped and the gradient unrolled {other_order} here, "
        "while the cost reads it {order}: {got}; use one order everywhere.",
    ),
    ("unrolling_inconsistent", {"read1": "OTHER", "read2": "OTHER"}, _READ_OTHER),
)

NP_ORDER = {"F": "order='F'", "C": "NumPy's default order='C'"}


def resolve(mistake, conv):
    """The keyword arguments of ``variant`` for ``mistake`` in convention ``conv``."""
    other = "C" if conv.order == "F" else "F"
    out = {}
    for key, value in mistake.items():
        if key.startswith("label") and conv.base is None:
            return None  # one-hot targets: no labels to misread
        if key == "label_other":
            # 1..K data read as 0..K-1 lands one unit up; 0..K-1 read as 1..K down.
            out["label_shift"] = 1 if conv.base == 1 else -1
        elif key == "label_wrap":
            if conv.base == 0:
                out["label_wrap"] = True
            else:
                return None  # no wrap-around going up (eye(K)[y] raises)
        else:
            out[key] = other if value == "OTHER" else value
    return out


def convention_facts(conv):
    """The words of the convention the sentences quote."""
    other = "C" if conv.order == "F" else "F"
    if conv.base == 1:
        advice = "with labels 1..K, label k is output unit k-1 (np.eye(K)[y - 1])."
    else:
        advice = "with labels 0..K-1, label k is output unit k (np.eye(K)[y])."
    return {
        "order": ORDER_NAMES[conv.order],
        "other_order": ORDER_NAMES[other],
        "other_np": NP_ORDER[other],
        "labels": "1..K" if conv.base == 1 else "0..K-1",
        "other_labels": "0..K-1" if conv.base == 1 else "1..K",
        "label_advice": advice,
    }


def cost_facts(p, conv, J, J_ref):
    """The numbers the sentences of :data:`COST_MISTAKES` quote."""
    J0 = p.solve(conv.order, 0.0)[0]
    pen = J_ref - J0
    return {
        **convention_facts(conv),
        "m": p.m,
        "K": p.sizes[2],
        "ratio": (J - J0) / pen if pen else float("nan"),
        "data_factor": J0 / (J - pen) if J != pen else float("nan"),
        "too_small": J_ref / J if J else 0,
        "got": f"J = {g(J)} where the course gives {g(J_ref)} {p.where}",
    }


def gradient_facts(p, conv, grad, grad_ref):
    """The numbers the sentences of :data:`GRADIENT_MISTAKES` quote."""
    norm_ref = max(np.linalg.norm(grad_ref), 1e-300)
    rel = np.linalg.norm(grad - grad_ref) / norm_ref
    ratio = np.linalg.norm(grad) / norm_ref
    grad0 = p.solve(conv.order, 0.0)[1]
    data_ratio = np.linalg.norm(grad - (grad_ref - grad0)) / max(
        np.linalg.norm(grad0), 1e-300
    )
    return {
        **convention_facts(conv),
        "m": p.m,
        "K": p.sizes[2],
        "where": p.where,
        "data_ratio": data_ratio,
        "inverse_ratio": 1 / ratio if ratio else float("inf"),
        "got": f"relative difference {rel:.3g} {p.where}",
    }


def explains(mistake, conv, answers, output, rtol):
    """Whether the variant ``mistake`` gives every readable answer."""
    kwargs = resolve(mistake, conv)
    if kwargs is None:
        return False
    readable = [(q, a) for q, a in answers if a is not None]
    return bool(readable) and all(
        close(a, q.solve(conv.order, **kwargs)[output], rtol) for q, a in readable
    )


def diagnose(mistakes, conv, facts, answers, output, rtol, flips=True):
    """The PartResult of the first mistake that gives every answer, or None.

    ``answers`` are ``(problem, answer)`` pairs, an answer None where the
    learner's could not be read; ``output`` is 0 (the cost) or 1 (the
    gradient). ``flips=False`` skips the convention mix-ups.
    """
    for diagnosis, mistake, sentence in mistakes:
        if not flips and diagnosis.endswith("_inconsistent"):
            continue
        if explains(mistake, conv, answers, output, rtol):
            return PartResult(False, sentence.format(**facts), diagnosis)
    return None
