"""Where the learner's functions come from: a ``.py`` file or a notebook (only
its imports, definitions and what they need are run), a module, a dict or
``globals()``; and which function is which part."""

import os
import types
from pathlib import Path

from skdigits._grade.selective import SourceError, first_line, run_selected

#: Accepted names of each function: the course's Python name, Octave's, others.
FUNCTION_NAMES = {
    "sigmoid_gradient": ("sigmoid_gradient", "sigmoidGradient", "sigmoid_grad"),
    "rand_initialize_weights": (
        "rand_initialize_weights",
        "randInitializeWeights",
        "rand_init_weights",
        "randInitWeights",
    ),
    "nn_cost_function": ("nn_cost_function", "nnCostFunction", "nn_cost"),
    "predict": ("predict",),
}

#: Names a separate gradient function is found by.
GRADIENT_NAMES = (
    "nn_gradient",
    "nnGradient",
    "nn_grad",
    "nnGrad",
    "nn_cost_gradient",
    "nnCostGradient",
    "gradient",
    "backprop",
    "backpropagation",
)


def _notebook_cells(path):
    try:
        import nbformat
    except ImportError as exc:
        raise SourceError(
            f"cannot read '{path}': reading a notebook needs nbformat "
            "(pip install nbformat, or pip install 'skdigits[grade]')."
        ) from exc
    try:
        notebook = nbformat.read(str(path), as_version=4)
        cells = [
            (
                f"{i}, In [{cell.execution_count}]"
                if cell.get("execution_count")
                else i,
                cell.source,
            )
            for i, cell in enumerate(notebook.cells, start=1)
            if cell.cell_type == "code"
        ]
    except Exception as exc:  # noqa: BLE001 - nbformat raises many types
        raise SourceError(
            f"cannot read '{path}': not a valid notebook ({first_line(exc)})."
        ) from exc
    language = (
        notebook.metadata.get("kernelspec", {}).get("language")
        or notebook.metadata.get("language_info", {}).get("name")
        or "python"
    )
    if str(language).lower() != "python":
        raise SourceError(
            f"cannot grade '{path}': the notebook's language is {language}, not Python."
        )
    return cells


def load(source, roots=()):
    """``(namespace, notes, kind)`` of a source: a path, module, dict or None.

    ``roots`` are more names of functions to grade (``--gradient NAME``).
    """
    if source is None:
        return {}, [], "dict"
    if isinstance(source, dict):
        return source, [], "dict"
    if isinstance(source, types.ModuleType):
        return vars(source), [], "module"
    if not isinstance(source, str | os.PathLike):
        raise TypeError(
            "source must be a module, a path to a .py file or a notebook, or a "
            f"dict of functions such as globals(), got {type(source).__name__}."
        )
    path = Path(source)
    if not path.is_file():
        raise SourceError(f"cannot import '{path}': no such file")
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        cells = _notebook_cells(path)
        kind = "notebook"
    elif suffix == ".py":
        try:
            cells = [(0, path.read_text(encoding="utf-8"))]
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read '{path}': {first_line(exc)}") from exc
        kind = "file"
    else:
        other = {
            ".m": "an Octave/MATLAB file",
            ".r": "an R file",
            ".jl": "a Julia file",
        }
        what = other.get(suffix, f"a {suffix or 'suffix-less'} file")
        raise SourceError(
            f"cannot grade '{path}': {what}, not a Python file (.py) or a "
            "notebook (.ipynb)."
        )
    cost_names = FUNCTION_NAMES["nn_cost_function"]
    roots = {*roots, *GRADIENT_NAMES, *(n for v in FUNCTION_NAMES.values() for n in v)}
    namespace, notes = run_selected(path, cells, roots, cost_names)
    return namespace, notes, kind


# -- which function is which ---------------------------------------------------


def _from_skdigits(func):
    module = getattr(func, "__module__", None) or ""
    return module == "skdigits" or module.startswith("skdigits.")


def _positional_count(func):
    code = getattr(func, "__code__", None)
    return None if code is None else code.co_argcount


def find(namespace, overrides, gradient=None):
    """``(functions, gradient, explicit)``: part key to ``(name, function)``."""
    known = {alias: key for key, names in FUNCTION_NAMES.items() for alias in names}
    for name in overrides:
        if name not in known:
            raise TypeError(
                f"grade() got an unknown function name {name!r}; the names are "
                + ", ".join(sorted(known))
                + " (and gradient=)."
            )
    functions = {}
    for key, names in FUNCTION_NAMES.items():
        # In a notebook's globals a name can hold a result (predict = ...), and
        # the learner's own function comes before one imported from skdigits.
        candidates = [n for n in names if callable(namespace.get(n))]
        candidates.sort(key=lambda n: _from_skdigits(namespace[n]))
        if candidates:
            functions[key] = (candidates[0], namespace[candidates[0]])
    for name, func in overrides.items():
        if func is not None:
            functions[known[name]] = (name, func)
    if isinstance(gradient, str):
        if namespace.get(gradient) is None:
            raise TypeError(f"no function named {gradient!r} to use as the gradient.")
        return functions, (gradient, namespace[gradient]), True
    if gradient is not None:
        return functions, (getattr(gradient, "__name__", "gradient"), gradient), True
    for name in GRADIENT_NAMES:
        if callable(namespace.get(name)):
            return functions, (name, namespace[name]), False
    return functions, _by_signature(namespace, functions), False


def _by_signature(namespace, functions):
    """A function with the cost function's parameters, defined beside it."""
    if "nn_cost_function" not in functions:
        return None
    cost = functions["nn_cost_function"][1]
    count = _positional_count(cost)
    taken = {id(f) for _, f in functions.values()}
    candidates = [
        (name, f)
        for name, f in namespace.items()
        if isinstance(f, types.FunctionType)
        and id(f) not in taken
        and f.__module__ == getattr(cost, "__module__", None)
        and _positional_count(f) == count
    ]
    if len(candidates) > 1:
        candidates = [(n, f) for n, f in candidates if "grad" in n.lower()]
    return candidates[0] if len(candidates) == 1 else None
