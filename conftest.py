"""How the whole suite runs (fixtures live in tests/conftest.py).

- With pytest-xdist (the README's command runs ``-n auto``), each worker gets
  its share of the cores for BLAS, and so for the NumPy engine's Python
  threads, which follow the caller's BLAS limit.
- ``--doctest-modules`` imports only the package's modules that have
  examples: collecting imports no TensorFlow (5 s of CPU in every worker).
"""

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent / "skdigits"


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

