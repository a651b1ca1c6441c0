"""Grading a learner's exercise 4 functions: :func:`grade` and the command line."""

import argparse
import functools
import importlib.util
import os
import sys
import time
import traceback
import types
from pathlib import Path

from skdigits._grade.cost import grade_cost, grade_gradient, run_cost_function
from skdigits._grade.parts import grade_predict, grade_rand_init, grade_sigmoid_gradient
from skdigits._grade.reference import problems as _problems
from skdigits._grade.report import GradeReport, PartResult
from skdigits._grade.run import timeout_sentence

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

#: The parts graded from the runs of nn_cost_function: grader and lambda set.
COST_PARTS = {
    "cost": (grade_cost, 0),
    "regularized_cost": (grade_cost, 1),
    "gradient": (grade_gradient, 0),
    "regularized_gradient": (grade_gradient, 1),
}


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
    graders = {
        "sigmoid_gradient": grade_sigmoid_gradient,
        "rand_initialize_weights": grade_rand_init,
        "predict": functools.partial(grade_predict, problems=problems),
    }
    parts = {}
    if "nn_cost_function" in found:
        parts.update(_grade_cost_parts(*found["nn_cost_function"], problems, timeout))
    for part, key in PARTS.items():
        if key not in found:
            names = " or ".join(FUNCTION_NAMES[key])
            parts[part] = PartResult(None, f"Not submitted (no function {names}).")
        elif key != "nn_cost_function":
            parts[part] = graders[key](found[key][1], timeout)
    return GradeReport(
        {part: parts[part] for part in PARTS}, time.perf_counter() - start
    )


def _grade_cost_parts(name, func, problems, timeout):
    """The four parts graded from nn_cost_function, keyed by part."""
    runs, hung = run_cost_function(func, problems, timeout)
    if hung is not None:
        sentence = timeout_sentence(name, timeout)
        return {part: PartResult(False, sentence, "timeout") for part in COST_PARTS}
    return {
        part: grader(name, func, runs[lam_set], timeout)
        for part, (grader, lam_set) in COST_PARTS.items()
    }


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
