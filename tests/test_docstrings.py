"""numpydoc validation of every public docstring.

The public objects are discovered, not listed: everything in ``skdigits.__all__``
and the public functions and classes of every public submodule
(``skdigits.datasets``, and ``skdigits.course`` / ``skdigits.plotting`` once they
exist). A submodule whose optional dependencies are missing is skipped.
"""

import importlib
import inspect
import pkgutil

import pytest

import skdigits

numpydoc_validate = pytest.importorskip("numpydoc.validate")

# Checks that scikit-learn's docstrings do not follow either: GL01/GL02 (where
# the summary starts and ends), RT02 (name the return value's type only), SA01
# (a See Also section everywhere), ES01 (an extended summary everywhere).
IGNORED = {"GL01", "GL02", "RT02", "SA01", "ES01"}
# Methods need no Examples section: the class's example shows them in use.
IGNORED_FOR_METHODS = IGNORED | {"EX01"}


def _public_modules():
    """The importable public modules of the package, itself included."""
    modules = [skdigits]
    for info in pkgutil.iter_modules(skdigits.__path__):
        if info.name.startswith("_"):
            continue
        name = f"skdigits.{info.name}"
        try:
            modules.append(importlib.import_module(name))
        except ImportError:  # an optional dependency is missing
            continue
    return modules


def _public_names(module):
    """Public classes and functions of ``module``: its ``__all__``, or those it
    defines."""
    if hasattr(module, "__all__"):
        names = module.__all__
    else:
        names = [
            name
            for name, obj in vars(module).items()
            if not name.startswith("_")
            and (inspect.isfunction(obj) or inspect.isclass(obj))
            and obj.__module__ == module.__name__
        ]
    return [
        name
        for name in names
        if inspect.isclass(getattr(module, name)) or callable(getattr(module, name))
    ]


def _own_methods(cls):
    """Public methods and properties that skdigits itself defines on ``cls``.

    Methods inherited from scikit-learn (``get_params``, ``score``, the
    ``set_*_request`` methods of metadata routing...) are scikit-learn's to
    document.
    """
    names = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        member = inspect.getattr_static(cls, name)
        function = member.fget if isinstance(member, property) else getattr(cls, name)
        if callable(function) and getattr(function, "__module__", "").startswith(
            "skdigits"
        ):
            names.append(name)
    return names


def _objects_to_validate():
    """``(import path, ignored checks)`` for every public docstring."""
    seen = set()
    for module in _public_modules():
        for name in _public_names(module):
            obj = getattr(module, name)
            path = f"{obj.__module__}.{obj.__qualname__}"
            if module is skdigits:
                path = f"skdigits.{name}"
            elif obj.__module__ != module.__name__:
                path = f"{module.__name__}.{name}"
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            yield path, IGNORED
            if inspect.isclass(obj):
                for method in _own_methods(obj):
                    yield f"{path}.{method}", IGNORED_FOR_METHODS


OBJECTS = list(_objects_to_validate())


def test_public_objects_found():
    paths = [path for path, _ in OBJECTS]
    assert "skdigits.MLPDigitClassifier" in paths
    assert "skdigits.MLPDigitClassifier.fit" in paths
    assert "skdigits.datasets.load_digits" in paths


@pytest.mark.parametrize("path, ignored", OBJECTS, ids=[path for path, _ in OBJECTS])
def test_docstring(path, ignored):
    result = numpydoc_validate.validate(path)
    errors = [
        f"{code}: {message}"
        for code, message in result["errors"]
        if code not in ignored
    ]
    assert not errors, f"{path}:\n" + "\n".join(errors)
