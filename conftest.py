"""How the whole suite runs (fixtures live in tests/conftest.py).

- With pytest-xdist (the README's command runs ``-n auto``), each worker gets
  its share of the cores for BLAS, and so for the NumPy engine's Python
  threads, which follow the caller's BLAS limit.
- ``--doctest-modules`` imports only the package's modules that have
  examples: collecting imports no TensorFlow (5 s of CPU in every worker).
- The tests with "keras" in their names (the Keras engine, the Keras wing,
  the backend-parametrized tests' Keras cases) run in one worker, so the
  other never imports TensorFlow.
"""

import os
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent / "skdigits"


def pytest_configure(config):
    """Under pytest-xdist, each worker gets its share of the cores.

    Every worker would otherwise run BLAS on every core: on 2 cores, two
    workers of two threads each made the suite 15% slower. Tests of thread
    counts set their own limits with ``threadpool_limits``. The environment
    variables carry the share to the programs the tests start.
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


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's load balancing, with the Keras tests as one unit.

    (Its ``--dist loadgroup`` would do this from marks, but it does not group
    with pytest 9.2: pytest-xdist issue 1386.) Every other test is a unit of
    its own, as with ``--dist load``; the largest unit is handed out first.
    """
    if config.getoption("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class KerasInOneWorker(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return "keras" if "keras" in nodeid.lower() else nodeid

    return KerasInOneWorker(config, log)
