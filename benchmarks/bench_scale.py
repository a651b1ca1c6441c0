"""Time per L-BFGS iteration and per Adam epoch up a ladder of data sizes.

Engines, all fitting the same network (logistic hidden and output units, the
binary cross-entropy summed over the outputs, the L2 penalty
``alpha / (2 n) * ||W||^2``):

- ``numpy``: skdigits' NumPy backend;
- ``keras``: skdigits' Keras backend;
- ``sklearn``: scikit-learn's MLPClassifier fed one-hot targets (its loss is
  then the summed binary cross-entropy), ``activation='logistic'``;
- ``plainkeras``: a plain Keras model, sigmoid hidden units, linear outputs
  with the summed binary cross-entropy from the logits, the penalty as
  ``kernel_regularizer=L2(alpha / (2 n))``, ``model.fit`` with Adam (Keras has
  no L-BFGS, so it runs the Adam rows only).

Rungs: ``digits`` (bundled 8x8 digits, 1797 x 64, 25 hidden units);
``5k`` (5000 x 400, 25 hidden: the real MNIST sample if
``skdigits.datasets.load_mnist_5k`` exists, otherwise synthetic digits-like
data of that shape, which the output says); ``60k`` and ``250k`` (synthetic
digits-like data, 784 features, 100 hidden units).

L-BFGS: a fit of 8 iterations (``tol=0``), the time of the whole fit
(validation, set-up, every evaluation) divided by its iterations. Adam: a fit
of a few epochs at batch size 200, the whole fit divided by its epochs (so
set-up and, for Keras, tracing are included). Every fit runs in a fresh worker
process (``subprocess``), the engines interleaved round by round; the tables
give medians, ratios of medians, and the peak resident memory of the fit
beyond what the worker held before it (data included in the latter).

Run: ``python benchmarks/bench_scale.py`` (the full ladder, about 10-15
minutes on 2 cores), ``--quick`` (the two small rungs, about a minute), or
choose with ``--rungs``, ``--engines``, ``--solvers``, ``--dtypes``,
``--repeats``.
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

from _common import (  # noqa: E402
    load,
    median,
    print_environment,
    print_table,
)

ALPHA = 1.0
BATCH = 200
LBFGS_ITER = 8
ENGINES = ("numpy", "keras", "sklearn", "plainkeras")
RUNGS = {
    # name: (n_samples, n_features, hidden units, Adam epochs)
    "digits": (1797, 64, 25, 10),
    "5k": (5000, 400, 25, 5),
    "60k": (60000, 784, 100, 2),
    "250k": (250000, 784, 100, 1),
}


# ------------------------------------------------------------------ data


def synthetic_digits(n, d, seed=0):
    """Digits-like data: 10 smooth prototype images plus noise, in [0, 1].

    Generated in blocks, float32, so the worker's peak memory before the fit
    is the data itself.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    side = int(round(np.sqrt(d)))
    grid = np.linspace(-1, 1, side)
    gx, gy = np.meshgrid(grid, grid)
    protos = []
    for k in range(10):
        cx, cy = np.cos(k * 0.63), np.sin(k * 0.63)
        img = np.exp(-((gx - 0.5 * cx) ** 2 + (gy - 0.5 * cy) ** 2) / 0.15)
        img += 0.6 * np.exp(-((gx + 0.4 * cy) ** 2 + (gy - 0.4 * cx) ** 2) / 0.05)
        protos.append(img.ravel()[:d])
    protos = np.asarray(protos, dtype=np.float32)
    protos /= protos.max()
    y = rng.integers(0, 10, n)
    X = np.empty((n, d), dtype=np.float32)
    for a in range(0, n, 10000):
        b = min(n, a + 10000)
        block = protos[y[a:b]] + 0.25 * rng.standard_normal((b - a, d), np.float32)
        np.clip(block, 0, 1, out=X[a:b])
    return X, y


def rung_data(rung):
    """``(X float32, y, description)`` of a rung."""
    import numpy as np

    import skdigits.datasets as ds

    n, d, _, _ = RUNGS[rung]
    if rung == "digits":
        from sklearn.datasets import load_digits

        X, y = load_digits(return_X_y=True)
        return (X / 16).astype(np.float32), y, "bundled 8x8 digits"
    if rung == "5k" and hasattr(ds, "load_mnist_5k"):
        X, y = ds.load_mnist_5k(return_X_y=True)
        return np.asarray(X, dtype=np.float32), np.asarray(y), "real MNIST sample"
    X, y = synthetic_digits(n, d)
    return X, y, "synthetic digits-like"


# ---------------------------------------------------------------- worker


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss_bytes():
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _plain_keras_fit(X, Y, hidden, epochs, seed):
    import keras

    n = X.shape[0]
    keras.utils.set_random_seed(seed)
    reg = keras.regularizers.L2(ALPHA / (2 * n))
    model = keras.Sequential(
        [
            keras.Input((X.shape[1],), dtype=X.dtype),
            keras.layers.Dense(hidden, "sigmoid", kernel_regularizer=reg),
            keras.layers.Dense(Y.shape[1], kernel_regularizer=reg),
        ]
    )
    n_out = Y.shape[1]

    def summed_bce(y_true, logits):
        # Keras averages over the units; the course sums them.
        return n_out * keras.losses.binary_crossentropy(
            y_true, logits, from_logits=True
        )

    model.compile(keras.optimizers.Adam(1e-3), loss=summed_bce)
    model.fit(X, Y, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0)
    return epochs


def worker(spec):
    """One fit; prints a JSON line with its time and memory."""
    import warnings

    import numpy as np
    from threadpoolctl import threadpool_info

    engine, rung, solver, dtype = (
        spec["engine"],
        spec["rung"],
        spec["solver"],
        spec["dtype"],
    )
    _, _, hidden, epochs = RUNGS[rung]
    X, y, _ = rung_data(rung)
    X = np.ascontiguousarray(X, dtype=dtype)
    Y = np.eye(10, dtype=dtype)[y]
    max_iter = LBFGS_ITER if solver == "lbfgs" else epochs
    if engine in ("numpy", "keras"):
        from skdigits import MLPDigitClassifier

        est = MLPDigitClassifier(
            hidden_layer_sizes=(hidden,),
            solver=solver,
            alpha=ALPHA,
            backend=engine,
            max_iter=max_iter,
            tol=0,
            n_iter_no_change=max_iter + 1,
            batch_size=BATCH,
            random_state=0,
        )
        target = y
    elif engine == "sklearn":
        from sklearn.neural_network import MLPClassifier

        est = MLPClassifier(
            hidden_layer_sizes=(hidden,),
            activation="logistic",
            solver=solver,
            alpha=ALPHA,
            max_iter=max_iter,
            tol=0,
            n_iter_no_change=max_iter + 1,
            batch_size=BATCH,
            random_state=0,
        )
        target = Y
    if engine == "plainkeras":
        import keras  # noqa: F401  (imported before the clock starts)
    elif engine == "keras":
        import keras  # noqa: F401, F811
    before = _rss_bytes()
    peak_before = _peak_rss_bytes()
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    if engine == "plainkeras":
        n_iter = _plain_keras_fit(X, Y, hidden, max_iter, 0)
    else:
        est.fit(X, target)
        n_iter = est.n_iter_
    seconds = time.perf_counter() - start
    peak = _peak_rss_bytes()
    threads = sorted(
        {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    )
    print(
        json.dumps(
            {
                "seconds": seconds,
                "n_iter": int(n_iter),
                "per_iter": seconds / max(1, int(n_iter)),
                # memory the fit added on top of the data and libraries; if
                # the set-up peaked higher, the fit's own peak is hidden
                "peak_beyond_mib": max(0, peak - max(before, peak_before)) / 2**20,
                "data_mib": X.nbytes / 2**20,
                "blas_threads": threads,
            }
        )
    )


# ------------------------------------------------------------------ main


def run_one(spec, timeout):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    try:
        out = subprocess.run(
            cmd, capture_output=True, text=True, env=env, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode or not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:]
        return {"error": f"exit {out.returncode}: {' '.join(tail)}"}
    return json.loads(lines[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small rungs only")
    parser.add_argument("--rungs", nargs="+", choices=RUNGS, default=None)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=None)
    parser.add_argument("--solvers", nargs="+", choices=("lbfgs", "adam"))
    parser.add_argument("--dtypes", nargs="+", choices=("float32", "float64"))
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", help="write the raw results here after every fit")
    parser.add_argument(
        "--report", help="print the tables of a --json file (complete or not)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(json.loads(args.worker))
        return
    if args.report:
        saved = json.loads(Path(args.report).read_text())
        cases = [json.loads(k) for k in saved["results"]]
        report(cases, saved["results"], saved["engines"])
        return

    rungs = args.rungs or (["digits", "5k"] if args.quick else list(RUNGS))
    engines = args.engines or list(ENGINES)
    solvers = args.solvers or ["lbfgs", "adam"]
    dtypes = args.dtypes or (["float32"] if args.quick else ["float32", "float64"])
    repeats = args.repeats or (2 if args.quick else 3)

    print_environment("Scaling: time per L-BFGS iteration and per Adam epoch")
    import skdigits.datasets as ds

    if "5k" in rungs and not hasattr(ds, "load_mnist_5k"):
        print(
            "- rung 5k: skdigits.datasets.load_mnist_5k is not available; "
            "synthetic digits-like data of shape 5000 x 400 is used instead"
        )
    print(
        f"- {repeats} rounds, engines interleaved, each fit in a fresh process; "
        f"alpha={ALPHA}, L-BFGS {LBFGS_ITER} iterations, Adam batch {BATCH}\n"
    )

    cases = []
    for rung in rungs:
        n = RUNGS[rung][0]
        for solver in solvers:
            for dtype in dtypes:
                # the largest rung runs float64 once per round at most
                for engine in engines:
                    if engine == "plainkeras" and solver == "lbfgs":
                        continue
                    if n > 100_000 and dtype == "float64" and args.dtypes is None:
                        continue
                    cases.append(
                        {
                            "engine": engine,
                            "rung": rung,
                            "solver": solver,
                            "dtype": dtype,
                        }
                    )
    results = {json.dumps(c, sort_keys=True): [] for c in cases}
    started = time.perf_counter()
    for r in range(repeats):
        for c in cases:
            results[json.dumps(c, sort_keys=True)].append(run_one(c, args.timeout))
            if args.json:
                Path(args.json).write_text(
                    json.dumps({"engines": engines, "results": results})
                )
        print(
            f"round {r + 1}/{repeats} done after {time.perf_counter() - started:.0f}"
            f" s, load {load()}",
            flush=True,
        )
    print()
    report(cases, results, engines)
    print(f"Total {time.perf_counter() - started:.0f} s; load at end {load()}.")


def _fmt_ms(seconds):
    return f"{1e3 * seconds:.1f}" if seconds < 10 else f"{seconds:.1f} s"


def report(cases, results, engines):
    groups = {}
    for c in cases:
        runs = results[json.dumps(c, sort_keys=True)]
        if not runs:
            continue
        ok = [r for r in runs if "error" not in r]
        errors = [r["error"] for r in runs if "error" in r]
        key = (c["rung"], c["solver"], c["dtype"])
        groups.setdefault(key, {})[c["engine"]] = (ok, errors)
    headers = ["rung", "n x d", "solver", "dtype"]
    headers += [f"{e} ms" for e in engines]
    headers += ["numpy/sklearn", "keras/plainkeras", "keras/numpy"]
    rows, mem_rows = [], []
    medians = {}
    for (rung, solver, dtype), by_engine in groups.items():
        n, d, _, _ = RUNGS[rung]
        row = [rung, f"{n} x {d}", solver, dtype]
        mem = [rung, solver, dtype]
        med = {}
        for e in engines:
            ok, errors = by_engine.get(e, ([], []))
            if ok:
                med[e] = median([r["per_iter"] for r in ok])
                row.append(_fmt_ms(med[e]))
                peak = median([r["peak_beyond_mib"] for r in ok])
                mem.append(f"{peak:.0f} ({peak / ok[0]['data_mib']:.2f}x)")
            else:
                row.append("error" if errors else "-")
                mem.append("-")
            for err in errors[:1]:
                print(f"  {rung} {solver} {dtype} {e}: {err}")
        medians[(rung, solver, dtype)] = med

        def ratio(a, b, med=med):
            return f"{med[a] / med[b]:.2f}x" if a in med and b in med else "-"

        row += [
            ratio("numpy", "sklearn"),
            ratio("keras", "plainkeras"),
            ratio("keras", "numpy"),
        ]
        rows.append(row)
        mem_rows.append(mem)
    print("Time per L-BFGS iteration / per Adam epoch (median; ms unless marked):\n")
    print_table(headers, rows)
    print("Peak resident memory of the fit beyond the data held, MiB (x data):\n")
    print_table(["rung", "solver", "dtype", *engines], mem_rows)
    slopes = _slopes(medians, engines)
    if slopes:
        print("Log-log slope of time per epoch (Adam) against n over the rungs:\n")
        print_table(["dtype", *engines], slopes)


def _slopes(medians, engines):
    import numpy as np

    out = []
    for dtype in ("float32", "float64"):
        row, any_ = [dtype], False
        for e in engines:
            pts = [
                (RUNGS[r][0], m[e])
                for (r, s, dt), m in medians.items()
                if s == "adam" and dt == dtype and e in m
            ]
            if len(pts) >= 3:
                n, t = np.log(np.array(pts)).T
                row.append(f"{np.polyfit(n, t, 1)[0]:.2f}")
                any_ = True
            else:
                row.append("-")
        if any_:
            out.append(row)
    return out


if __name__ == "__main__":
    main()
