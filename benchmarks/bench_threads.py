"""BLAS threads: what the optimizer driver's thread policy is based on.

1. SciPy's solvers alone (no network): L-BFGS-B and CG on a diagonal quadratic
   with the course network's 10285 parameters; per iteration, with the default
   BLAS threads and with one.
2. Fits (L-BFGS and Adam, at the course's shape and at 784-100-10) under three
   policies: skdigits' driver as shipped (BLAS on one thread, a large
   full-batch evaluation's row blocks on the caller's count of Python
   threads), always one thread (``threadpool_limits(1)`` around the fit), and
   OpenBLAS's own threads (the driver's policy switched off) -- on the machine
   as it is and with one competing process spinning on a core.
3. One evaluation of the NumPy objective: on one BLAS thread, on OpenBLAS's
   default threads, and in row blocks on that many Python threads (one BLAS
   thread each), minibatch and full-batch sizes, in both conditions: where
   threads pay.

Everything is interleaved; medians.

Run: ``python benchmarks/bench_threads.py [--repeats 5]``
"""

import argparse
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager

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
from skdigits import MLPDigitClassifier, _threads
from skdigits._backends import make_objective
from skdigits._network import initial_theta, n_params


@contextmanager
def _openblas_threads():
    """The driver's policy switched off: BLAS keeps the caller's threads and
    every evaluation runs in the calling thread."""
    saved = driver.one_blas_thread, driver.evaluation_workers

    @contextmanager
    def keep_threads():
        yield _threads.blas_threads_in_force()

    driver.one_blas_thread = keep_threads
    driver.evaluation_workers = lambda work, caller: 1
    try:
        yield
    finally:
        driver.one_blas_thread, driver.evaluation_workers = saved


@contextmanager
def _nothing():
    yield


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


@contextmanager
def condition(name):
    """``idle``: the machine as it is; ``busy``: plus one process spinning on
    a core, as another job would."""
    if name == "idle":
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.5)
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


def _synthetic(n, p, seed=0):
    rng = np.random.RandomState(seed)
    return rng.rand(n, p).astype(np.float32), rng.randint(0, 10, n)


# (label, data, solver, max_iter)
FIT_CASES = [
    ("5000 x 400-25, L-BFGS", lambda: _synthetic(5000, 400), "lbfgs", 30),
    ("20000 x 784-100, L-BFGS", lambda: _synthetic(20000, 784), "lbfgs", 6),
    ("5000 x 400-25, Adam", lambda: _synthetic(5000, 400), "adam", 6),
    ("12000 x 784-100, Adam", lambda: _synthetic(12000, 784), "adam", 2),
]
POLICIES = ("driver (blocks on threads)", "always 1 thread", "OpenBLAS threads")


def fits(repeats):
    data = {label: make() for label, make, _, _ in FIT_CASES}

    def run(label, solver, max_iter, policy):
        X, y = data[label]
        hidden = 25 if X.shape[1] == 400 else 100
        clf = MLPDigitClassifier(
            hidden_layer_sizes=(hidden,),
            solver=solver,
            max_iter=max_iter,
            tol=0,
            n_iter_no_change=max_iter + 1,
            random_state=0,
        )
        mode = "1 thread" if policy == "always 1 thread" else "default"
        switch = _openblas_threads() if policy == "OpenBLAS threads" else _nothing()
        with switch, thread_mode(mode), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            seconds, _ = timed(clf.fit, X, y)
        return seconds / clf.n_iter_

    res = {}
    for r in range(repeats):
        for cond in ("idle", "busy"):
            with condition(cond):
                for label, _, solver, max_iter in FIT_CASES:
                    # rotate the order; pause so that OpenBLAS threads left
                    # spinning by one fit do not slow the next
                    for policy in POLICIES[r % 3 :] + POLICIES[: r % 3]:
                        time.sleep(0.3)
                        res.setdefault((cond, label, policy), []).append(
                            run(label, solver, max_iter, policy)
                        )
    rows = []
    for cond in ("idle", "busy"):
        for label, _, solver, _ in FIT_CASES:
            t = {p: median(res[cond, label, p]) for p in POLICIES}
            best = min(t.values())
            rows.append(
                [cond, label]
                + [f"{t[p] * 1e3:.1f} ({t[p] / best:.2f}x)" for p in POLICIES]
            )
    print(
        "Fits (float32) under three thread policies, ms per iteration or epoch "
        "(x the best policy), on the machine as it is (idle) and with one "
        "competing process (busy):\n"
    )
    print_table(["machine", "fit", *POLICIES], rows)


def evaluations(repeats):
    from threadpoolctl import ThreadpoolController

    blas = ThreadpoolController().select(user_api="blas")
    default = max(lib.num_threads for lib in blas.lib_controllers)
    rng = np.random.RandomState(0)
    problems = [
        (200, 400, 25),
        (1797, 64, 25),
        (200, 784, 100),
        (5000, 400, 25),
        (1000, 784, 100),
        (4096, 784, 100),
    ]
    objectives = []
    for n, p, h in problems:
        X = rng.rand(n, p).astype(np.float32)
        Y = np.eye(10, dtype=np.float32)[rng.randint(0, 10, n)]
        layers = [p, h, 10]
        f = make_objective(
            X,
            Y,
            np.ones(n),
            l2=1.0,
            layer_sizes=layers,
            activation="logistic",
            out_activation="logistic",
        )
        objectives.append((f, initial_theta(layers, "uniform", 0.12, rng)))

    def case(f, theta, threads, workers=1):
        def run():
            if f.multiply_adds >= _threads.SMALL_WORK:
                # OpenBLAS's threads spin for a while after a call on two
                # threads, holding the core the next case's threads need.
                time.sleep(0.1)
            with blas.limit(limits=threads):
                start = time.perf_counter()
                f(theta, workers=workers)
                return time.perf_counter() - start

        return run

    rows = []
    for cond in ("idle", "busy"):
        with condition(cond):
            for (n, p, h), (f, theta) in zip(problems, objectives):
                rounds = int(np.clip(1e9 / f.multiply_adds, 10 * repeats, 300))
                # OpenBLAS's threads keep spinning for a while after a call:
                # the one-thread case runs next, so that the spinning does
                # not take the core the blocks' second thread needs.
                res = interleave(
                    {
                        "openblas": case(f, theta, default),
                        "one": case(f, theta, 1),
                        "blocks": case(f, theta, 1, workers=default),
                    },
                    rounds,
                )
                one, many, blocks = (
                    np.median(res[k]) * 1e3 for k in ("one", "openblas", "blocks")
                )
                rows.append(
                    [
                        cond,
                        f"{n} x {p}-{h}-10",
                        f"{f.multiply_adds / 1e6:.0f}",
                        f"{one:.3f}",
                        f"{many:.3f}",
                        f"{blocks:.3f}",
                        f"{one / many:.2f}",
                        f"{one / blocks:.2f}",
                    ]
                )
    print(
        f"One evaluation (float32), ms (median): 1 BLAS thread, {default} OpenBLAS "
        f"threads, and row blocks on {default} Python threads of one BLAS thread "
        "each; idle and with one competing process. The driver runs evaluations "
        f"below {_threads.SMALL_WORK / 1e6:.0f}M multiply-adds on 1 thread and "
        "the others in blocks on the caller's count:\n"
    )
    print_table(
        [
            "machine",
            "problem",
            "M multiply-adds",
            "1 thread",
            f"{default} OpenBLAS",
            f"{default} blocks",
            "speed-up OpenBLAS",
            "speed-up blocks",
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
