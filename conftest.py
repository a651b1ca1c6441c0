"""How the whole suite runs (fixtures live in tests/conftest.py).

- With pytest-xdist (the README's command runs ``-n auto``), each worker gets
  its share of the cores for BLAS, and so for the NumPy engine's Python
  threads, which follow the caller's BLAS limit.
- ``--doctest-modules`` imports only the package's modules that have
  examples: collecting imports no TensorFlow (5 s of CPU in every worker).
- A docstring example that needs an extra which is not installed is skipped
  (the test modules skip themselves).
"""

import importlib.util
import os
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent / "skdigits"

# (a word in an example's source, the modules it then needs, their extra)
_EXAMPLE_NEEDS = [
    ("keras", ("keras", "tensorflow"), "keras"),
    ("make_deformed_digits", ("dask", "mlxtend"), "dask,mnist"),
    ("matplotlib", ("matplotlib",), "plot"),
]


def pytest_configure(config):
    """Under pytest-xdist, each worker gets its share of the cores.

    Every worker would otherwise run BLAS, and the NumPy engine its Python
    threads, on every core, and the workers would contend for them
    (benchmarks/RESULTS.md, section (j)). Tests of thread counts set their
    own limits with ``threadpool_limits``. The environment variables carry the
    share to the programs the tests start.
    """
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if not workers:
        return
    from threadpoolctl import threadpool_limits

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    share = max(1, (cores or os.cpu_count() or 1) // int(workers))
    threadpool_limits(share)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(share)


def pytest_ignore_collect(collection_path, config):
    """A module of the package without a ``>>>`` example has no doctest to
    collect: ``--doctest-modules`` need not import it."""
    path = Path(collection_path)
    if path.suffix == ".py" and PACKAGE in path.parents:
        if ">>>" not in path.read_text(encoding="utf-8"):
            return True
    return None


def pytest_collection_modifyitems(config, items):
    """Skip the docstring examples whose extra is missing, naming it."""
    for word, modules, extra in _EXAMPLE_NEEDS:
        if all(importlib.util.find_spec(name) for name in modules):
            continue
        skip = pytest.mark.skip(reason=f"needs pip install 'skdigits[{extra}]'")
        for item in items:
            test = getattr(item, "dtest", None)
            if test is not None and any(word in ex.source for ex in test.examples):
                item.add_marker(skip)
