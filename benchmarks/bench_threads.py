"""BLAS threads: what the optimizer driver's thread policy is based on.

1. SciPy's solvers alone (no network): L-BFGS-B and CG on a diagonal quadratic
   with the course network's 10285 parameters; per iteration, with the default
   BLAS threads and with one.
2. Real fits of the course network (400-25-10, 20x20 digits, float64), per
   iteration, under three policies: skdigits' driver as shipped (solver on one
   BLAS thread, the objective too when its products are small); no thread
   control at all (the driver's policy switched off); everything on one thread
   (``threadpool_limits(1)`` around the fit).
3. One evaluation of the NumPy objective on one and on the default number of
   BLAS threads, for growing problems: where threads start to pay.

Everything is interleaved; medians (and 90th percentiles for 3).

Run: ``python benchmarks/bench_threads.py [--repeats 5]``
"""

import argparse
import time
import warnings
from contextlib import nullcontext

import numpy as np
from _common import (
    interleave,
    load,
    median,
    print_environment,
    print_table,
    thread_mode,
    timed,
)
from scipy.optimize import minimize
from sklearn.exceptions import ConvergenceWarning

import skdigits._optimize as driver
from skdigits import MLPDigitClassifier
from skdigits._backends._numpy import NumpyObjective
from skdigits._network import initial_theta, n_params
from skdigits.datasets import load_digits


class _NoThreadControl:
    """Stand-in for the driver's ``_BlasThreads`` that changes nothing."""

    def __init__(self, work):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        pass

    def evaluation(self):
        return nullcontext()


def solver_alone(repeats):
    n = n_params([400, 25, 10])
    d = np.logspace(0, 4, n)

    def quadratic(x):
        r = x - 1
        return 0.5 * float(np.dot(d * r, r)), d * r

    def case(method, mode):
        def run():
            with thread_mode(mode):
                seconds, res = timed(
                    minimize,
                    quadratic,
                    np.zeros(n),
                    jac=True,
                    method=method,
                    options={"maxiter": 200, "gtol": 0},
                )
            return seconds / res.nit

        return run

    keys = [(m, mode) for m in ("L-BFGS-B", "CG") for mode in ("default", "1 thread")]
    res = interleave({k: case(*k) for k in keys}, repeats)
    rows = []
    for method in ("L-BFGS-B", "CG"):
        a, b = median(res[method, "default"]), median(res[method, "1 thread"])
        rows.append([method, f"{a * 1e3:.3f}", f"{b * 1e3:.3f}", f"{a / b:.1f}"])
    print(
        f"SciPy's solvers alone: diagonal quadratic, {n} parameters, 200 "
        f"iterations, ms per iteration (solver + a trivial objective):\n"
    )
    print_table(["solver", "default threads", "1 thread", "default / 1 thread"], rows)


def fits(repeats):
    X, y = load_digits(size=20, return_X_y=True)
    policies = ("driver (shipped)", "no thread control", "all on 1 thread")

    def case(solver, policy):
        def run():
            clf = MLPDigitClassifier(
                solver=solver, max_iter=20 if solver == "adam" else 60, tol=0
            )
            clf.set_params(random_state=0)
            saved = driver._BlasThreads
            if policy == "no thread control":
                driver._BlasThreads = _NoThreadControl
            try:
                mode = "1 thread" if policy == "all on 1 thread" else "default"
                with thread_mode(mode), warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    seconds, _ = timed(clf.fit, X, y)
            finally:
                driver._BlasThreads = saved
            return seconds / clf.n_iter_

        return run

    solvers = ("lbfgs", "cg", "adam")
    res = interleave({(s, p): case(s, p) for s in solvers for p in policies}, repeats)
    rows = [
        [s, "iteration" if s != "adam" else "epoch"]
        + [f"{median(res[s, p]) * 1e3:.2f}" for p in policies]
        for s in solvers
    ]
    print(
        "Fits of the course network (float64), ms per iteration, under three "
        "thread policies:\n"
    )
    print_table(["solver", "per", *policies], rows)


def evaluations(repeats):
    from threadpoolctl import ThreadpoolController

    blas = ThreadpoolController().select(user_api="blas")
    default = max(lib.num_threads for lib in blas.lib_controllers)
    rng = np.random.RandomState(0)
    rows = []
    for n, p, h in [
        (1797, 64, 25),
        (1797, 400, 25),
        (5000, 400, 50),
        (10000, 784, 100),
    ]:
        X = rng.rand(n, p)
        Y = np.eye(10)[rng.randint(0, 10, n)]
        layers = [p, h, 10]
        f = NumpyObjective(
            X,
            Y,
            np.ones(n),
            alpha=1.0,
            layer_sizes=layers,
            activation="logistic",
            out_activation="logistic",
        )
        theta = initial_theta(layers, "uniform", 0.12, rng)
        rounds = int(np.clip(3e9 / f.multiply_adds, 10 * repeats, 300))

        def case(threads):
            def run():
                with blas.limit(limits=threads):
                    start = time.perf_counter()
                    f(theta)
                    return time.perf_counter() - start

            return run

        res = interleave({1: case(1), default: case(default)}, rounds)
        one, many = np.array(res[1]) * 1e3, np.array(res[default]) * 1e3
        rows.append(
            [
                f"{n} x {p}-{h}-10",
                f"{f.multiply_adds / 1e6:.0f}",
                f"{np.median(one):.2f} / {np.percentile(one, 90):.2f}",
                f"{np.median(many):.2f} / {np.percentile(many, 90):.2f}",
                f"{np.median(one) / np.median(many):.2f}",
            ]
        )
    print(
        f"One evaluation, ms (median / 90th percentile), 1 vs {default} BLAS "
        f"threads; the driver keeps evaluations below {driver.SMALL_WORK / 1e6:.0f}M "
        "multiply-adds on 1 thread:\n"
    )
    print_table(
        [
            "problem",
            "M multiply-adds",
            "1 thread",
            f"{default} threads",
            f"speed-up of {default} threads",
        ],
        rows,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print_environment("BLAS threads and the optimizer driver")
    solver_alone(args.repeats)
    fits(args.repeats)
    evaluations(args.repeats)
    print(f"Load average at the end: {load()}")


if __name__ == "__main__":
    main()
