"""Collection rules for the optional Keras extra.

Without Keras installed, the Keras backend module is not imported for its
doctests, and docstring examples that use Keras are skipped (the Keras tests
themselves skip through ``pytest.importorskip``).
"""

import importlib.util

import pytest

HAS_KERAS = importlib.util.find_spec("keras") is not None

_KERAS_MODULES = ["_backends/_keras.py", "_keras/layers.py", "_keras/export.py"]
collect_ignore = [] if HAS_KERAS else [f"skdigits/{m}" for m in _KERAS_MODULES]


def pytest_collection_modifyitems(config, items):
    if HAS_KERAS:
        return
    skip = pytest.mark.skip(reason="needs Keras: pip install 'skdigits[keras]'")
    for item in items:
        dtest = getattr(item, "dtest", None)
        if dtest is not None and any("keras" in ex.source for ex in dtest.examples):
            item.add_marker(skip)
