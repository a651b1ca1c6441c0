"""Calling the learner's cost (and gradient) function on every network in every
convention, and reading its answers: J as a number, the gradient as a flat
vector, with a note for the interfaces accepted as they are."""

from dataclasses import dataclass

import numpy as np

from skdigits._grade.run import call

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
