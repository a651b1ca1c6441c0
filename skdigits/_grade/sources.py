"""Where the learner's functions come from: a ``.py`` file or a notebook (only
its imports, definitions and what they need are run), a module, a dict or
``globals()``; and which function is which part."""

import ast
import builtins
import os
import sys
import types
from pathlib import Path

from skdigits._grade.run import call

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

#: Seconds one top-level statement of a learner's file may take.
STATEMENT_TIMEOUT = 20.0


class SourceError(ValueError):
    """A file that cannot be graded; the message is one line naming the file."""


def _first_line(exc):
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


# -- selecting what to run -----------------------------------------------------


def _strip_magics(source):
    """The cell without IPython's ``%magic``, ``!shell`` and ``name?`` lines."""
    if source.lstrip().startswith("%%"):
        return ""
    lines = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(("%", "!")) or (
            stripped.endswith("?") and stripped[:-1].replace(".", "").isidentifier()
        ):
            line = ""
        lines.append(line)
    return "\n".join(lines)


def _stored(node):
    """The plain names a statement binds at top level."""
    names = set()
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Import | ast.ImportFrom):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.add(sub.id)
    return names


def _loaded(node):
    return {
        sub.id
        for sub in ast.walk(node)
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load)
    }


def _free(node):
    """The global names a statement reads: for a definition, the names its body
    reads that are neither parameters nor assigned in it."""
    loaded = _loaded(node)
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return loaded
    local = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            local.add(sub.id)
        elif (
            isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef) and sub is not node
        ):
            local.add(sub.name)
        elif isinstance(sub, ast.arg):
            local.add(sub.arg)
    return loaded - local


def _has_call(node):
    return any(isinstance(sub, ast.Call) for sub in ast.walk(node))


def _always(node):
    """Statements run whatever they are needed for: imports, definitions and
    assignments of plain names that call nothing."""
    if isinstance(
        node,
        ast.Import
        | ast.ImportFrom
        | ast.FunctionDef
        | ast.AsyncFunctionDef
        | ast.ClassDef,
    ):
        return True
    if isinstance(node, ast.Try):
        return all(_always(n) for n in node.body)
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        plain = all(
            isinstance(t, ast.Name)
            or (
                isinstance(t, ast.Tuple)
                and all(isinstance(e, ast.Name) for e in t.elts)
            )
            for t in targets
        )
        return plain and node.value is not None and not _has_call(node.value)
    return False


def _roots(statements, roots):
    """The definitions graded: those named in ``roots``, and those with as many
    parameters as a cost function among them (a separate gradient function)."""
    defs = [n for _, n in statements if isinstance(n, ast.FunctionDef)]
    named = [n for n in defs if n.name in roots]
    counts = {
        len(n.args.args) for n in named if n.name in FUNCTION_NAMES["nn_cost_function"]
    }
    return named + [n for n in defs if n not in named and len(n.args.args) in counts]


def select(statements, roots):
    """``(statements to run, quiet)``: ``_always`` ones, then those that bind a
    name the graded functions need (transitively). ``quiet`` are the ids of
    the plain assignments run on the chance they are needed: their failures
    are not noted."""
    chosen = [_always(node) for _, node in statements]
    quiet = {
        id(node)
        for keep, (_, node) in zip(chosen, statements)
        if keep and isinstance(node, ast.Assign | ast.AnnAssign)
    }
    defs = {
        n.name: n
        for _, n in statements
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }
    builtin = set(dir(builtins))
    needed, todo = set(), list(_roots(statements, roots))
    while todo:
        node = todo.pop()
        for name in _free(node) - needed - builtin:
            needed.add(name)
            if name in defs:
                todo.append(defs[name])
            for i, (_, other) in enumerate(statements):
                if name in _stored(other) and not isinstance(
                    other,
                    ast.Import
                    | ast.ImportFrom
                    | ast.FunctionDef
                    | ast.AsyncFunctionDef
                    | ast.ClassDef
                    | ast.Expr,
                ):
                    if not chosen[i] or id(other) in quiet:
                        chosen[i] = True
                        quiet.discard(id(other))
                        todo.append(other)
    return [s for keep, s in zip(chosen, statements) if keep], quiet


def _parse_cells(path, cells):
    """``(statements, notes)``: ``(filename, node)`` pairs of every cell that parses."""
    statements, notes = [], []
    for number, source in cells:
        filename = f"{path.name} cell {number}" if number else str(path)
        try:
            tree = ast.parse(_strip_magics(source), filename=filename)
        except SyntaxError as exc:
            if not number:
                raise SourceError(
                    f"cannot import '{path}' (line {exc.lineno}): SyntaxError: "
                    f"{exc.msg}; is it Python?"
                ) from exc
            notes.append(
                f"cell {number} of {path.name} has a syntax error (line "
                f"{exc.lineno}: {exc.msg}) and was not run."
            )
            continue
        statements.extend((filename, node) for node in tree.body)
    return statements, notes


def run_selected(path, cells, roots=(), timeout=STATEMENT_TIMEOUT):
    """The namespace of ``cells`` (``(number, source)`` pairs) run selectively.

    Runs in the file's folder, with the folder on ``sys.path`` (the Python
    edition's ``utils.py`` beside a notebook, ``submission.py`` above it).
    A statement that fails or times out is noted, never raised.
    """
    statements, notes = _parse_cells(path, cells)
    roots = set(roots) | {n for names in FUNCTION_NAMES.values() for n in names}
    roots |= set(GRADIENT_NAMES)
    chosen, quiet = select(statements, roots)
    skipped = len(statements) - len(chosen)
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    namespace = {"__name__": f"skdigits_graded_{stem}", "__file__": str(path)}
    folder = str(path.resolve().parent)
    cwd = os.getcwd()
    saved_path = list(sys.path)
    before = set(sys.modules)
    sys.path.insert(0, folder)
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        os.chdir(folder)
        for filename, node in chosen:
            code = compile(ast.Module([node], type_ignores=[]), filename, "exec")
            out = call(exec, (code, namespace), timeout)
            if out.timed_out:
                notes.append(
                    f"{filename}, line {node.lineno} did not finish within "
                    f"{timeout:g} s and was left running."
                )
            elif out.error is not None and id(node) not in quiet:
                notes.append(
                    f"{filename}, line {node.lineno} was not run: "
                    f"{_first_line(out.error)}."
                )
    finally:
        os.chdir(cwd)
        sys.path[:] = saved_path
        _forget_modules(set(sys.modules) - before, folder)
    if skipped:
        notes.insert(
            0,
            f"{skipped} top-level statements of {path.name} were not run (they "
            "load data, train, plot or submit; only imports, definitions and "
            "what they need are run).",
        )
    return namespace, notes


def _forget_modules(names, folder):
    """Drop the learner's own modules (``utils``, ``submission``) imported from
    the file's folder or the one above from ``sys.modules``, so that the next
    file graded gets its own; the functions keep theirs."""
    folder = Path(folder).resolve()
    for name in names:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and Path(file).resolve().parent in (folder, folder.parent):
            del sys.modules[name]


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
            f"cannot read '{path}': not a valid notebook ({_first_line(exc)})."
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
            raise SourceError(f"cannot read '{path}': {_first_line(exc)}") from exc
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
    namespace, notes = run_selected(path, cells, roots)
    return namespace, notes, kind


# -- which function is which ---------------------------------------------------


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
        for name in names:
            # In a notebook's globals a name can hold a result (predict = ...).
            if callable(namespace.get(name)):
                functions[key] = (name, namespace[name])
                break
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
