"""Running a learner's file or notebook selectively: its imports, definitions
and plain assignments, and the statements that define a name the graded
functions need; never the cells that load data, train, plot or submit."""

import ast
import builtins
import os
import sys
import types
from pathlib import Path

from scipy.special import expit

from skdigits._grade.run import call

#: Seconds one top-level statement of a learner's file may take.
STATEMENT_TIMEOUT = 20.0


class SourceError(ValueError):
    """A file that cannot be graded; the message is one line naming the file."""


def first_line(exc):
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")


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


def _roots(statements, roots, cost_names):
    """The definitions graded: those named in ``roots``, and those with as many
    parameters as a cost function among them (a separate gradient function)."""
    defs = [n for _, n in statements if isinstance(n, ast.FunctionDef)]
    named = [n for n in defs if n.name in roots]
    counts = {len(n.args.args) for n in named if n.name in cost_names}
    return named + [n for n in defs if n not in named and len(n.args.args) in counts]


def select(statements, roots, cost_names=()):
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
    needed, todo = set(), list(_roots(statements, roots, cost_names))
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


def run_selected(path, cells, roots, cost_names, timeout=STATEMENT_TIMEOUT):
    """The namespace of ``cells`` (``(number, source)`` pairs) run selectively.

    Runs in the file's folder, with the folder on ``sys.path`` (the Python
    edition's ``utils.py`` beside a notebook, ``submission.py`` above it).
    Where that ``utils.py`` cannot be imported (a notebook graded away from
    the course's folders), :func:`_course_utils` stands in for it. A
    statement that fails or times out is noted, never raised.
    """
    statements, notes = _parse_cells(path, cells)
    chosen, quiet = select(statements, set(roots), set(cost_names))
    skipped = len(statements) - len(chosen)
    stem = "".join(c if c.isalnum() else "_" for c in path.stem)
    namespace = {"__name__": f"skdigits_graded_{stem}", "__file__": str(path)}
    folder = str(path.resolve().parent)
    cwd = os.getcwd()
    saved_path = list(sys.path)
    before, finders = set(sys.modules), set(sys.path_importer_cache)
    stand_in = None
    sys.path.insert(0, folder)
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        os.chdir(folder)
        for filename, node in chosen:
            code = compile(ast.Module([node], type_ignores=[]), filename, "exec")
            out = call(exec, (code, namespace), timeout)
            if isinstance(out.error, ModuleNotFoundError) and _imports_utils(node):
                missing = first_line(out.error)
                sys.modules["utils"] = stand_in = _course_utils()
                out = call(exec, (code, namespace), timeout)
                notes.append(
                    f"{filename}, line {node.lineno} could not import the "
                    f"course's utils.py ({missing}): its sigmoid was given by "
                    f"skdigits (utils.py beside {path.name} and submission.py "
                    "in the folder above make yours count)."
                )
            if out.timed_out:
                notes.append(
                    f"{filename}, line {node.lineno} did not finish within "
                    f"{timeout:g} s and was left running."
                )
            elif out.error is not None and id(node) not in quiet:
                notes.append(
                    f"{filename}, line {node.lineno} was not run: "
                    f"{first_line(out.error)}."
                )
    finally:
        os.chdir(cwd)
        sys.path[:] = saved_path
        if stand_in is not None and sys.modules.get("utils") is stand_in:
            del sys.modules["utils"]
        # The course's utils.py puts '..' on sys.path: the finder cached for it
        # would look in this folder's parent for the next file graded too.
        for entry in set(sys.path_importer_cache) - finders:
            del sys.path_importer_cache[entry]
        _forget_modules(set(sys.modules) - before, folder)
    if skipped:
        notes.insert(
            0,
            f"{skipped} top-level statements of {path.name} were not run (they "
            "load data, train, plot or submit; only imports, definitions and "
            "what they need are run).",
        )
    return namespace, notes


def _imports_utils(node):
    """Whether the statement imports the Python edition's ``utils``."""
    if isinstance(node, ast.Import):
        return any(alias.name == "utils" for alias in node.names)
    return isinstance(node, ast.ImportFrom) and node.module == "utils"


def _course_utils():
    """A stand-in for the Python edition's ``utils.py``, with the one helper
    the graded functions call: ``sigmoid`` (the logistic function)."""
    module = types.ModuleType("utils", "skdigits' stand-in for the course's utils.py")
    module.sigmoid = expit
    return module


def _forget_modules(names, folder):
    """Drop the learner's own modules (``utils``, ``submission``) imported from
    the file's folder or the one above from ``sys.modules``, so that the next
    file graded gets its own; the functions keep theirs."""
    folder = Path(folder).resolve()
    for name in names:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and Path(file).resolve().parent in (folder, folder.parent):
            del sys.modules[name]
