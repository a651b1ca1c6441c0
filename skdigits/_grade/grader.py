"""Grading a learner's exercise 4 functions: :func:`grade` and the command line."""

import argparse
import contextlib
import io
import sys
import time

from skdigits._grade.answers import Functions, run_cost_function
from skdigits._grade.convention import detect
from skdigits._grade.cost import grade_part, grader_numbers
from skdigits._grade.parts import grade_predict, grade_rand_init, grade_sigmoid_gradient
from skdigits._grade.reference import conventions
from skdigits._grade.reference import problems as _problems
from skdigits._grade.report import GradeReport, PartResult
from skdigits._grade.run import timeout_sentence
from skdigits._grade.sources import FUNCTION_NAMES, SourceError, find, load

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

#: The parts graded from the runs of nn_cost_function: what and lambda set.
COST_PARTS = {
    "cost": ("cost", 0),
    "regularized_cost": ("cost", 1),
    "gradient": ("gradient", 0),
    "regularized_gradient": ("gradient", 1),
}


def grade(source=None, *, timeout=5.0, gradient=None, **functions):
    """Grade your own exercise 4 functions against the course's, offline.

    Your functions are graded in your own convention, found from their
    answers: the parameters unrolled column-major (the Octave original,
    ``Theta(:)``, NumPy's ``order="F"``) or row-major (the course's Python
    edition, NumPy's default), labels ``1..K`` or ``0..K-1``, and ``y`` of
    shape ``(m,)`` or ``(m, 1)``. The report says which convention it found;
    a part passes when it is the course's in that convention.

    Each part is checked on the course's debugging network (3 inputs, 5
    hidden units, 3 labels, 5 examples, the ``sin`` weights of
    :func:`~skdigits.course.debug_initialize_weights`), on the network the
    course's submit scripts grade on (2-4-4, 16 examples; its numbers are
    shown) and on three random small networks, with several values of lambda.
    When a part fails, the answer is compared with the classic mistakes (bias
    regularised, ``lambda/m``, ``lambda * Theta`` in the gradient, labels or
    unrolling mixed between functions, the bias zeroed in ``nn_params``
    itself, ...) and the message names the one it makes, with the number
    that shows it.

    Parameters
    ----------
    source : module, str, path or dict, default=None
        Where to find the functions: a module, the path of a ``.py`` file or
        of a notebook (``.ipynb``, read with nbformat), or a dict from name to
        function such as ``globals()`` in a running notebook. Of a file, only
        the imports, the definitions and what they need are run (not the
        cells that load data, train, plot or submit), in the file's folder.
        Python names (``sigmoid_gradient``, ``rand_initialize_weights``,
        ``nn_cost_function``, ``predict``) and the course's Octave names
        (``sigmoidGradient``, ``randInitializeWeights``, ``nnCostFunction``)
        are accepted.

    timeout : float, default=5.0
        Seconds each call of a learner's function may take. The call runs in a
        daemon thread joined with this timeout; a call that does not return is
        reported and left running.

    gradient : callable or str, default=None
        A separate gradient function, with the cost function's parameters,
        for a cost function that returns ``J`` only (as
        ``scipy.optimize.fmin_cg(f, x0, fprime=...)`` wants them), or its
        name in ``source``. By default one named ``nn_gradient``,
        ``nnGradient``, ``gradient``, ... or one defined beside the cost
        function with its parameters is used when the cost returns ``J`` only.

    **functions : callable
        Functions by the same names; they override those of ``source``.

    Returns
    -------
    report : GradeReport
        ``report.parts[name].passed`` is True, False, or None for a part whose
        function was not submitted; ``report.passed`` is True when every
        submitted part passes; ``report.convention`` says the convention
        graded in.

    Raises
    ------
    ValueError
        When ``source`` is a file that cannot be graded: missing, not Python,
        a malformed notebook, or one that defines none of the functions.

    Examples
    --------
    >>> from skdigits import course
    >>> report = course.grade(course)
    >>> report.passed
    True
    >>> report.parts["cost"].passed
    True
    >>> report.convention
    "column-major unrolling, labels 1..K, y of shape (m,): the course's Octave original"
    """
    if not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(
            f"timeout must be a positive number of seconds, got {timeout!r}."
        )
    start = time.perf_counter()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        roots = [gradient] if isinstance(gradient, str) else []
        namespace, notes, kind = load(source, roots)
        found, grad, explicit = find(namespace, functions, gradient)
        for key, (name, func) in [
            *found.items(),
            *([("gradient", grad)] if grad else []),
        ]:
            if not callable(func):
                raise TypeError(
                    f"{name} must be a function, got {type(func).__name__}."
                )
        if kind in ("file", "notebook") and not found:
            raise SourceError(
                f"'{source}' defines none of the exercise's functions ("
                + ", ".join(
                    names[1] if len(names) > 1 else names[0]
                    for names in FUNCTION_NAMES.values()
                )
                + ")"
                + (f"; {notes[-1]}" if notes else ".")
            )
        prefer_python = kind == "notebook" or "utils" in namespace
        parts, convention, more = _grade_parts(
            found, grad, explicit, timeout, prefer_python
        )
    output = printed.getvalue()
    notes = more + notes
    if output.strip():
        n_lines = len(output.strip().splitlines())
        notes.append(
            f"your code printed {n_lines} lines while it was loaded and graded, "
            "not shown here (report.output holds them; --show-output prints "
            "them)."
        )
    return GradeReport(
        {part: parts[part] for part in PARTS},
        time.perf_counter() - start,
        convention=convention,
        notes=notes,
        output=output,
    )


def _grade_parts(found, grad, explicit, timeout, prefer_python):
    """``(parts, convention in words or None, notes)``."""
    problems = _problems()
    parts, notes = {}, []
    convention = None
    base = None
    if "nn_cost_function" in found:
        name, func = found["nn_cost_function"]
        fns = Functions(name, func, *(grad or (None, None)), explicit)
        cost_parts, conv, detected, note = _grade_cost_parts(
            fns, problems, timeout, prefer_python
        )
        parts.update(cost_parts)
        if conv is not None:
            base = conv.base if detected else None
            convention = (
                str(conv)
                if detected
                else (
                    f"not detected (no answer of {name} is the course's in any "
                    f"convention); graded in the most likely one, {conv}"
                )
            )
        if note:
            notes.append(note)
    for part, key in PARTS.items():
        if key not in found:
            names = " or ".join(FUNCTION_NAMES[key][:2])
            parts[part] = PartResult(None, f"Not submitted (no function {names}).")
        elif key == "predict" and getattr(found[key][1], "__module__", "") == "utils":
            parts[part] = PartResult(
                None,
                "Not submitted (predict is the course's own, from utils.py, as "
                "in the Python edition).",
            )
        elif key == "predict":
            cost_name = found.get("nn_cost_function", ("nn_cost_function",))[0]
            parts[part] = grade_predict(
                found[key][1], timeout, problems, base, found[key][0], cost_name
            )
        elif key == "sigmoid_gradient":
            parts[part] = grade_sigmoid_gradient(found[key][1], timeout, found[key][0])
        elif key == "rand_initialize_weights":
            parts[part] = grade_rand_init(found[key][1], timeout, found[key][0])
    return parts, convention, notes


def _grade_cost_parts(fns, problems, timeout, prefer_python):
    """``(parts, convention, detected, note)`` of the four cost parts."""
    convs = conventions(prefer_python)
    runs, hung = run_cost_function(fns, problems, convs, timeout)
    if hung is not None:
        sentence = timeout_sentence(fns.cost_name, timeout)
        return (
            {part: PartResult(False, sentence, "timeout") for part in COST_PARTS},
            None,
            False,
            None,
        )
    conv, detected = detect(runs)
    parts = {
        part: grade_part(kind, fns, runs[conv][lam_set], conv, timeout)
        for part, (kind, lam_set) in COST_PARTS.items()
    }
    return parts, conv, detected, grader_numbers(fns, runs[conv], conv)


def main(argv=None):
    """``python -m skdigits grade FILE``: print the report; exit 0, 1 or 2."""
    parser = argparse.ArgumentParser(
        prog="python -m skdigits grade",
        description=(
            "Grade your own exercise 4 functions (sigmoidGradient, "
            "randInitializeWeights, nnCostFunction, predict; Python or Octave "
            "names) against the course's, offline, in your own convention, and "
            "name the classic mistake each failing part makes. FILE is a .py "
            "file or a notebook (.ipynb)."
        ),
        epilog="Exit code: 0 when every submitted part passes, 1 otherwise, 2 when "
        "FILE cannot be graded.",
    )
    parser.add_argument(
        "file", metavar="FILE", help="your Python file or notebook, e.g. ex4.py"
    )
    parser.add_argument(
        "--gradient",
        metavar="NAME",
        help="the name of your gradient function, when your cost function "
        "returns J only",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=5.0,
        metavar="S",
        help="seconds each call of your functions may take (default: 5)",
    )
    parser.add_argument(
        "--show-output",
        action="store_true",
        help="print what your code printed while graded, before the report",
    )
    args = parser.parse_args(argv)
    if not args.timeout > 0:
        parser.error(f"--timeout must be positive, got {args.timeout}.")
    try:
        report = grade(args.file, timeout=args.timeout, gradient=args.gradient)
    except (ValueError, TypeError) as exc:
        message = " ".join(str(exc).split())
        print(f"error: {message}", file=sys.stderr)
        return 2
    if args.show_output and report.output.strip():
        print("Your code printed:")
        print(report.output.rstrip())
        print()
    print(str(report))
    return 0 if report.passed else 1
