"""The classic mistakes of the cost and the gradient, as tables of variants.

Each row is ``(diagnosis, mistake, sentence)``: ``mistake`` are the keyword
arguments of :func:`~skdigits._grade.reference.variant` that make the mistake,
``sentence`` the finding, formatted with the numbers of :func:`cost_facts` or
:func:`gradient_facts`. The rows are tried in order; the first variant that
gives the learner's answer on every problem names the mistake.
"""

import numpy as np

from skdigits._grade.reference import close
from skdigits._grade.report import PartResult
from skdigits._grade.run import g

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
    (
        "labels_0_based",
        {"labels_0": True},
        "The labels are read as 0..K-1 (label k on output unit k): {got}; the "
        "course's labels are 1..K (digit 0 is label 10), so label k is unit k-1.",
    ),
    (
        "row_major",
        {"row_major": True},
        "nn_params is reshaped row-major: {got}; reshape with order='F' as "
        "MATLAB's reshape (column-major).",
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
    (
        "labels_0_based",
        {"labels_0": True},
        "The labels are read as 0..K-1 (label k on output unit k): {got}; the "
        "course's labels are 1..K, so label k is unit k-1.",
    ),
    (
        "row_major",
        {"row_major": True},
        "The gradient is unrolled (or nn_params reshaped) row-major: {got}; use "
        "order='F' in reshape and ravel, as MATLAB's (:).",
    ),
)


def cost_facts(p, J, J_ref):
    """The numbers the sentences of :data:`COST_MISTAKES` quote."""
    J0 = p.solve(0.0)[0]
    pen = J_ref - J0
    return {
        "m": p.X.shape[0],
        "K": p.sizes[2],
        "ratio": (J - J0) / pen if pen else float("nan"),
        "data_factor": J0 / (J - pen) if J != pen else float("nan"),
        "too_small": J_ref / J if J else 0,
        "got": f"J = {g(J)} where the course gives {g(J_ref)} {p.where}",
    }


def gradient_facts(p, grad, grad_ref):
    """The numbers the sentences of :data:`GRADIENT_MISTAKES` quote."""
    norm_ref = max(np.linalg.norm(grad_ref), 1e-300)
    rel = np.linalg.norm(grad - grad_ref) / norm_ref
    ratio = np.linalg.norm(grad) / norm_ref
    grad0 = p.solve(0.0)[1]
    data_ratio = np.linalg.norm(grad - (grad_ref - grad0)) / max(
        np.linalg.norm(grad0), 1e-300
    )
    return {
        "m": p.X.shape[0],
        "K": p.sizes[2],
        "where": p.where,
        "data_ratio": data_ratio,
        "inverse_ratio": 1 / ratio,
        "got": f"relative difference {rel:.3g} {p.where}",
    }


def diagnose(mistakes, facts, answers, output, rtol):
    """The PartResult of the first mistake that gives every answer, or None.

    ``answers`` are ``(problem, answer)`` pairs, an answer None where the
    learner's could not be read; ``output`` is 0 (the cost) or 1 (the gradient).
    """
    for diagnosis, mistake, sentence in mistakes:
        if all(
            close(answer, q.solve(**mistake)[output], rtol)
            for q, answer in answers
            if answer is not None
        ):
            return PartResult(False, sentence.format(**facts), diagnosis)
    return None
