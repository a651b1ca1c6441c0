"""Import time of skdigits, in fresh interpreters.

Each statement runs in a new ``python -c`` process that times the import itself
with ``time.perf_counter`` and lists which heavy packages it loaded; the
statements are interleaved and the table gives medians. scikit-learn's own
imports are measured alongside as the reference: the estimator subclasses
scikit-learn's ``BaseEstimator``, so using it costs at least
``import sklearn.base``. The one-thread rows run with ``OPENBLAS_NUM_THREADS=1``.

Run: ``python benchmarks/bench_import.py [--repeats 11]``
"""

import argparse
import json
import os
import subprocess
import sys

from _common import ROOT, load, median, print_environment, print_table

STATEMENTS = [
    "import skdigits",
    "from skdigits import MLPDigitClassifier",
    "import sklearn.base",
    "from sklearn.neural_network import MLPClassifier",
]
HEAVY = ["numpy", "scipy", "sklearn", "matplotlib", "tensorflow", "keras", "pandas"]

PROBE = """
import json, sys, time
start = time.perf_counter()
{statement}
seconds = time.perf_counter() - start
heavy = [m for m in {heavy!r} if m in sys.modules]
print(json.dumps({{"seconds": seconds, "heavy": heavy}}))
"""


def measure(statement, threads):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if threads == "1 thread":
        env["OPENBLAS_NUM_THREADS"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(statement=statement, heavy=HEAVY)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()
    print_environment("Import time")
    modes = ("default", "1 thread")
    results = {(s, m): [] for s in STATEMENTS for m in modes}
    loaded = {}
    for _ in range(args.repeats):
        for key in results:
            probe = measure(*key)
            results[key].append(probe["seconds"])
            loaded[key[0]] = probe["heavy"]
    rows = [
        [
            f"`{s}`",
            *(f"{median(results[s, m]):.3f}" for m in modes),
            ", ".join(loaded[s]) or "-",
        ]
        for s in STATEMENTS
    ]
    print(f"Seconds, medians of {args.repeats} fresh interpreters (interleaved):\n")
    print_table(["statement", *modes, "heavy packages loaded"], rows)
    print(f"Load average at the end: {load()}")


if __name__ == "__main__":
    main()
