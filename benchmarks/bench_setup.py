"""The set-up of a full-batch fit, in evaluations of its objective.

Set-up is everything ``fit`` does before its first evaluation of the
objective: scikit-learn's validation, the labels, the sample weights, the
objective's construction, the initial weights, the driver's thread decision.
The target (issue 20) is at most 10% of one evaluation at 60000 x 784 and
250000 x 784, float32 and float64, for the course network
(``MLPDigitClassifier(solver="lbfgs")``, 784-25-10, NumPy backend).

Each case runs in a fresh process, on the synthetic digits-like data of
``bench_scale.py``, after touching 2.5x the data's memory (the first touch of
fresh memory on this virtual machine costs about 0.6 s per 188 MB) and a
warm-up fit on 1000 rows. Every timed fit runs the real ``fit`` and is stopped
by an exception at the start of its fifth evaluation (the estimator is left
as it was); per fit it records

- set-up: from calling ``fit`` to entering the first evaluation;
- evaluation: the median time inside the objective's evaluations;
- first window: from entering the first evaluation to entering the second,
  minus the median of the later such windows (evaluation plus SciPy's work
  between two evaluations): what the first evaluation costs beyond the
  others, so that no set-up work hides in it; and the first evaluation's own
  time against the later ones' median.

Medians over ``--repeats`` fits; ratios are per fit, then the median.

After the fits, per case: the convergence warning's scan of the data
(``skdigits._monitor.largest_magnitude``) in evaluations.

Run: ``python benchmarks/bench_setup.py`` (about 3 minutes on 2 cores);
``--cases 60000:float32 ...``, ``--repeats``.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import load, median, print_environment, print_table  # noqa: E402

CASES = ("60000:float32", "60000:float64", "250000:float32", "250000:float64")
STOP_AT_CALL = 5


class _Stop(Exception):
    pass


def measure(n, dtype, repeats):
    """One case, in this process: a dict of lists of per-fit results."""
    import warnings

    import numpy as np
    from bench_scale import _cached_synthetic, _touch_memory
    from threadpoolctl import threadpool_info

    from skdigits import MLPDigitClassifier, _monitor
    from skdigits._backends import Objective

    # (private before this script's first run)
    largest_magnitude = getattr(_monitor, "largest_magnitude", None) or getattr(
        _monitor, "_largest_magnitude"
    )

    warnings.simplefilter("ignore")
    X, y = _cached_synthetic(n, 784)
    X = np.ascontiguousarray(X, dtype=dtype)
    _touch_memory(2.5 * X.nbytes)

    call = Objective.__call__
    marks = []

    def timed(obj, theta, rows=None, workers=1):
        start = time.perf_counter()
        if len(marks) + 1 == STOP_AT_CALL:
            marks.append((start, 0.0))
            raise _Stop
        try:
            return call(obj, theta, rows, workers)
        finally:
            marks.append((start, time.perf_counter() - start))

    Objective.__call__ = timed
    try:

        def fit(X, y):
            marks.clear()
            est = MLPDigitClassifier(solver="lbfgs", random_state=0)
            start = time.perf_counter()
            try:
                est.fit(X, y)
            except _Stop:
                pass
            return start

        fit(X[:1000], y[:1000])  # warm-up
        out = {"setup": [], "eval": [], "first_extra": [], "first_eval": []}
        for _ in range(repeats):
            start = fit(X, y)
            starts = [m[0] for m in marks]
            evals = [m[1] for m in marks[:-1]]
            windows = np.diff(starts)
            out["setup"].append(starts[0] - start)
            out["eval"].append(float(np.median(evals)))
            out["first_extra"].append(windows[0] - float(np.median(windows[1:])))
            out["first_eval"].append(evals[0] / float(np.median(evals[1:])))
    finally:
        Objective.__call__ = call
    scans = []
    for _ in range(repeats):
        t = time.perf_counter()
        largest_magnitude(X)
        scans.append(time.perf_counter() - t)
    out["scan"] = scans
    out["blas_threads"] = sorted(
        {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        n, dtype = args.worker.split(":")
        print(json.dumps(measure(int(n), dtype, args.repeats)))
        return

    print_environment("Set-up of a full-batch fit, in evaluations (784-25-10, L-BFGS)")
    print(
        f"- {args.repeats} fits per case, each in a fresh process per case, "
        f"stopped at evaluation {STOP_AT_CALL}; medians\n"
    )
    rows = []
    for case in args.cases:
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                case,
                "--repeats",
                str(args.repeats),
            ],
            capture_output=True,
            text=True,
            env=dict(os.environ),
        )
        if proc.returncode:
            print(f"{case}: failed\n{proc.stderr}")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        n, dtype = case.split(":")
        ratios = [s / e for s, e in zip(r["setup"], r["eval"])]
        extra = [f / e for f, e in zip(r["first_extra"], r["eval"])]
        first = median(r["first_eval"])
        scan = median(r["scan"]) / median(r["eval"])
        rows.append(
            [
                f"{n} x 784",
                dtype,
                f"{1e3 * median(r['setup']):.1f}",
                f"{1e3 * median(r['eval']):.1f}",
                f"{median(ratios):.3f}",
                f"{min(ratios):.3f}-{max(ratios):.3f}",
                f"{median(extra):+.3f} ({first:.2f}x)",
                f"{1e3 * median(r['scan']):.1f} ({scan:.3f})",
                ",".join(map(str, r["blas_threads"])),
            ]
        )
        print(f"{case} done, load {load()}", flush=True)
    print()
    print_table(
        [
            "n x d",
            "dtype",
            "set-up ms",
            "evaluation ms",
            "set-up / evaluation",
            "range",
            "first window extra, evals (first evaluation / later)",
            "warning's scan ms (evals)",
            "BLAS threads",
        ],
        rows,
    )
    print(f"load at end: {load()}")


if __name__ == "__main__":
    main()
