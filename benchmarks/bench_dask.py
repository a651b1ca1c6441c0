"""Fitting on Dask arrays where the data lives, against the in-memory fit.

1. Speed and memory. A ``distributed.LocalCluster`` of 2 worker processes (one
   thread each), each with a memory limit below the data's size: 400000
   elastically deformed digits at 28 x 28 in float32 (1.25 GB; 1 GB per
   worker), persisted on the workers. A 784-100-10 network: time per L-BFGS
   iteration and per Adam epoch (batch 200) of the Dask fit against the
   in-memory fit of the same rows in this process (2 Python threads for the
   full batch, as the driver gives them on 2 cores), interleaved; the
   scheduler's overhead per evaluation (a Dask evaluation of 2 chunks of 10
   rows); and the client's peak resident memory during the Dask fits, against
   the data's size (the client never holds X).
2. Accuracy. The course network (400-25-10) and a 400-100-10 network,
   trained by L-BFGS (100 iterations) on the cluster on 4000 of the 5000 real
   digits, as they are or with 10 or 100 elastically deformed copies per digit
   (``make_deformed_digits(sources=train)``), scored on the other 1000 real
   digits, untouched.

Run: ``python benchmarks/bench_dask.py [--repeats 2] [--plot FILE.png]``
(about 15 minutes on 2 cores). Needs the ``dask`` and ``mnist`` extras.
"""

import argparse
import ctypes
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import load, median, print_environment, print_table  # noqa: E402

N_ROWS = 400_000
CHUNK = 12_500
HIDDEN = 100
LBFGS_ITER = 5
ADAM_EPOCHS = 1
# L-BFGS iterations of the accuracy fits (the largest, 400000 x 400 with 100
# hidden units, takes about 5 minutes on 2 cores)
ACCURACY_ITER = 100


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def _reset_peak():
    """Hand freed memory back, then restart the kernel's high-water mark."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_kib("VmRSS") * 1024


def _fit(X, y, solver, max_iter, hidden=HIDDEN):
    from skdigits import MLPDigitClassifier

    clf = MLPDigitClassifier(
        hidden_layer_sizes=(hidden,),
        solver=solver,
        max_iter=max_iter,
        tol=0,
        n_iter_no_change=max_iter + 1,
        learning_rate_init=0.001,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        clf.fit(X, y)
        seconds = time.perf_counter() - start
    return clf, seconds / clf.n_iter_


def speed_and_memory(repeats):
    import dask.array as da

    from skdigits._dask import DaskObjective
    from skdigits.datasets import make_deformed_digits

    X, y = make_deformed_digits(N_ROWS, size=28, chunks=CHUNK, random_state=0)
    X, y = X.persist(), y.persist()
    nbytes = N_ROWS * 784 * 4
    # Warm-up: the workers import skdigits and build their engines.
    _fit(X[:20_000], y[:20_000], "lbfgs", 1)

    # The scheduler's overhead per evaluation: two chunks of 10 rows.
    tiny_X = da.from_array(
        np.random.rand(20, 784).astype(np.float32), chunks=(10, -1)
    )
    tiny = DaskObjective(
        tiny_X.persist(),
        da.zeros(20, chunks=10, dtype=int).persist(),
        da.ones(20, chunks=10).persist(),
        total=20.0,
        l2=1.0,
        layer_sizes=[784, HIDDEN, 10],
        activation="logistic",
        out_activation="logistic",
        backend="numpy",
    )
    theta = np.zeros(785 * HIDDEN + (HIDDEN + 1) * 10)
    tiny(theta)
    overheads = []
    for _ in range(20):
        start = time.perf_counter()
        tiny(theta)
        overheads.append(time.perf_counter() - start)

    # The Dask fits first, while the client holds no copy of X.
    before = _reset_peak()
    dask_times = {"lbfgs": [], "adam": []}
    for solver, n_iter in (("lbfgs", LBFGS_ITER), ("adam", ADAM_EPOCHS)):
        dask_times[solver].append(_fit(X, y, solver, n_iter)[1])
    client_peak = _status_kib("VmHWM") * 1024 - before

    # Into the client chunk by chunk (one finalize task would need all of X
    # on one worker).
    import dask

    X_mem = np.concatenate(dask.compute(*X.to_delayed().ravel()))
    y_mem = np.concatenate(dask.compute(*y.to_delayed().ravel()))
    memory_times = {"lbfgs": [], "adam": []}
    for r in range(repeats):
        for solver, n_iter in (("lbfgs", LBFGS_ITER), ("adam", ADAM_EPOCHS)):
            memory_times[solver].append(_fit(X_mem, y_mem, solver, n_iter)[1])
            if r > 0 or len(dask_times[solver]) < repeats:
                dask_times[solver].append(_fit(X, y, solver, n_iter)[1])
    del X_mem, y_mem

    rows = []
    for solver, label in (("lbfgs", "L-BFGS, s/iteration"), ("adam", "Adam, s/epoch")):
        d, m = median(dask_times[solver]), median(memory_times[solver])
        rows.append([label, f"{d:.2f}", f"{m:.2f}", f"{d / m:.2f}"])
    print(
        f"\n{N_ROWS} deformed digits, 28 x 28 float32 ({nbytes / 2**30:.2f} GiB), "
        f"chunks of {CHUNK} rows, 784-{HIDDEN}-10, 2 worker processes of 1 GB; "
        f"medians of {repeats}:\n"
    )
    print_table(["fit", "Dask", "in memory", "Dask / in memory"], rows)
    print(
        f"\nScheduler overhead per evaluation (2 chunks of 10 rows): "
        f"{1e3 * median(overheads):.1f} ms (median of 20)."
    )
    print(
        f"Client's peak resident memory during the Dask fits, beyond what it "
        f"held before: {client_peak / 2**20:.0f} MiB = "
        f"{client_peak / nbytes:.3f}x the data."
    )


def accuracy(plot_path=None):
    from skdigits.datasets import load_mnist_5k, make_deformed_digits

    X, y = load_mnist_5k(return_X_y=True)
    rng = np.random.RandomState(0)
    order = rng.permutation(len(y))
    train, test = np.sort(order[:4000]), np.sort(order[4000:])
    results = {}
    for copies in (0, 10, 100):
        for hidden in (25, 100):
            if copies == 0:
                X_fit, y_fit = X[train], y[train]
            else:
                X_fit, y_fit = make_deformed_digits(
                    copies * len(train), sources=train, chunks=20_000, random_state=1
                )
            start = time.perf_counter()
            clf, _ = _fit(X_fit, y_fit, "lbfgs", ACCURACY_ITER, hidden=hidden)
            seconds = time.perf_counter() - start
            score = clf.score(X[test], y[test])
            results[copies, hidden] = score
            print(
                f"  {hidden:3d} hidden units, {len(y_fit):6d} training digits "
                f"({'originals' if copies == 0 else f'{copies} deformed copies each'}"
                f"): held-out accuracy {score:.3f} ({seconds:.0f} s)",
                flush=True,
            )
    print()
    print_table(
        ["training digits", "course network (25)", "100 hidden units"],
        [
            [
                "4000 originals" if c == 0 else f"{c * 4000} deformed ({c}x)",
                f"{results[c, 25]:.3f}",
                f"{results[c, 100]:.3f}",
            ]
            for c in (0, 10, 100)
        ],
    )
    if plot_path:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.5))
        sizes = [4000, 40_000, 400_000]
        for hidden in (25, 100):
            ax.plot(
                sizes,
                [results[c, hidden] for c in (0, 10, 100)],
                "o-",
                label=f"{hidden} hidden units",
            )
        ax.set_xscale("log")
        ax.set_xlabel("training digits (originals, then deformed copies)")
        ax.set_ylabel("accuracy on 1000 untouched digits")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(plot_path, dpi=120)
        print(f"Plot written to {plot_path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--plot", help="draw accuracy against data size here")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()
    import dask
    import distributed

    print_environment("Fitting on Dask arrays")
    print(f"dask {dask.__version__}, distributed {distributed.__version__}")
    # Each worker holds 0.63 GB of the 1.25 GB, and its Python with NumPy,
    # SciPy, scikit-learn and distributed takes about 0.23 GB more: 0.86 GB of
    # its 1 GB. Spilling would move chunks to disk and back at every
    # evaluation, so it starts at 96% of the process's memory only (the
    # defaults spill at 60% of managed memory; 85%/90% spilled half the
    # chunks during the first L-BFGS fit).
    dask.config.set(
        {
            "distributed.worker.memory.target": False,
            "distributed.worker.memory.spill": 0.96,
            "distributed.worker.memory.pause": 0.97,
            "distributed.worker.memory.terminate": 0.99,
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            memory_limit="1GB",
            processes=True,
            dashboard_address=None,
        )
    with cluster, distributed.Client(cluster):
        if not args.skip_speed:
            speed_and_memory(args.repeats)
        if not args.skip_accuracy:
            print("\nHeld-out accuracy against the number of training digits:")
            accuracy(args.plot)
    print(f"\nLoad average at the end: {load()}")


if __name__ == "__main__":
    main()
