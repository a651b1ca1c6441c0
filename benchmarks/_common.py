"""Helpers shared by the benchmark scripts (not a benchmark itself).

Every script prints the machine's state next to its numbers -- load average,
BLAS libraries with their kernel and thread count -- and measures what it
compares in the same run, interleaved, so that a busy machine slows both sides
alike; the tables report medians and ratios of medians.
"""

import os
import platform
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

# ``python benchmarks/NAME.py`` from a clean clone: import the checkout's
# skdigits, not an installed one.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

OPENBLAS_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
)


def blas_libraries():
    """``(file, version, kernel, threads)`` of every BLAS library loaded."""
    return [
        (
            Path(lib["filepath"]).name,
            lib.get("version"),
            lib.get("architecture", "?"),
            lib["num_threads"],
        )
        for lib in threadpool_info()
        if lib["user_api"] == "blas"
    ]


def load():
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def print_environment(title):
    """Print the title and the state of the machine."""
    import scipy
    import sklearn

    print(f"# {title}")
    print()
    print(f"- date: {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print(
        f"- Python {platform.python_version()}, NumPy {np.__version__}, "
        f"SciPy {scipy.__version__}, scikit-learn {sklearn.__version__}"
    )
    import skdigits

    print(f"- skdigits {skdigits.__version__} from {Path(skdigits.__file__).parent}")
    print(f"- CPU: {os.cpu_count()} logical cores, {platform.machine()}")
    print(f"- load average (1, 5, 15 min) at start: {load()}")
    for name, version, kernel, threads in blas_libraries():
        print(f"- BLAS {name} {version}: kernel {kernel}, {threads} threads")
    env = ", ".join(f"{v}={os.environ.get(v, 'unset')}" for v in OPENBLAS_VARIABLES)
    print(f"- environment: {env}")
    print()


THREAD_MODES = ("default", "1 thread")


@contextmanager
def thread_mode(mode):
    """The default thread environment, or every thread pool limited to one."""
    with threadpool_limits(limits=1) if mode == "1 thread" else nullcontext():
        yield


def interleave(cases, repeats):
    """Run every case once per round, ``repeats`` rounds; lists of results.

    ``cases`` maps a key to a callable returning the measured value.
    """
    results = {key: [] for key in cases}
    for _ in range(repeats):
        for key, run in cases.items():
            results[key].append(run())
    return results


def median(values):
    return float(np.median(values))


def timed(fn, *args, **kwargs):
    """``(seconds, result)`` of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def print_table(headers, rows):
    """A Markdown table, columns padded for reading in a terminal."""
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "| " + " | ".join(c.rjust(w) for c, w in zip(row, widths)) + " |"

    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    for row in cells[1:]:
        print(line(row))
    print()
