"""Time per L-BFGS iteration: the Keras (TensorFlow) backend against the NumPy one.

Both backends compute the same objective and are driven by the same SciPy
L-BFGS-B, so the time per iteration compares the engines alone. Each backend
runs in its own worker process (as a user's process would: the NumPy worker
never loads TensorFlow, and neither library's thread pool competes with the
other's), and their fits are interleaved, the order alternating between
repeats, so that a change in machine load hits both. The medians over the
repeats are reported with their ratio, the BLAS and TensorFlow thread counts
and the machine load (load average and, on Linux, the CPU time stolen by the
hypervisor during the run).

Run from the repository root, with the keras extra installed::

    python benchmarks/bench_keras_vs_numpy.py [--repeats 7] [--max-iter 50]
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings

import numpy as np

BACKENDS = ("numpy", "keras")
NETWORKS = [(25,), (100,), (100, 50)]


def _worker(backend):
    """Answer ``hidden max_iter`` requests on stdin with seconds per iteration."""
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_info

    from skdigits import MLPDigitClassifier
    from skdigits.datasets import load_digits

    X, y = load_digits(size=20, return_X_y=True)
    warnings.simplefilter("ignore", ConvergenceWarning)
    for line in sys.stdin:
        request = json.loads(line)
        clf = MLPDigitClassifier(
            hidden_layer_sizes=request["hidden"],
            solver="lbfgs",
            backend=backend,
            max_iter=request["max_iter"],
            tol=0.0,
            random_state=0,
        )
        start = time.perf_counter()
        clf.fit(X, y)
        reply = {"seconds": (time.perf_counter() - start) / clf.n_iter_}
        if request.get("describe"):
            reply["shape"] = list(X.shape)
            reply["blas"] = [
                f"{info['internal_api']} {info['num_threads']} threads"
                for info in threadpool_info()
                if info["user_api"] == "blas"
            ]
            if backend == "keras":
                import tensorflow as tf

                threads = tf.config.threading.get_intra_op_parallelism_threads()
                reply["tf"] = f"TensorFlow {tf.__version__}, intra-op threads " + (
                    str(threads) if threads else f"auto ({os.cpu_count()})"
                )
        print(json.dumps(reply), flush=True)


def _cpu_times():
    """``(steal, total)`` CPU ticks from /proc/stat, or None elsewhere."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return fields[7] if len(fields) > 7 else 0, sum(fields[:8])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--max-iter", type=int, default=50)
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(args.worker)
    if args.repeats < 5:
        parser.error("--repeats must be at least 5 (medians of 5 or more)")

    workers = {
        backend: subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", backend],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for backend in BACKENDS
    }

    def ask(backend, **request):
        worker = workers[backend]
        worker.stdin.write(json.dumps(request) + "\n")
        worker.stdin.flush()
        line = worker.stdout.readline()
        if not line:
            raise RuntimeError(f"the {backend} worker died")
        return json.loads(line)

    # Warm-up: imports, traces; and the workers' configuration.
    about = {
        backend: ask(backend, hidden=[25], max_iter=5, describe=True)
        for backend in BACKENDS
    }
    load_before, cpu_before = os.getloadavg(), _cpu_times()
    rows = []
    for hidden in NETWORKS:
        for backend in BACKENDS:
            ask(backend, hidden=list(hidden), max_iter=5)
        times = {backend: [] for backend in BACKENDS}
        for repeat in range(args.repeats):
            for backend in BACKENDS if repeat % 2 == 0 else BACKENDS[::-1]:
                reply = ask(backend, hidden=list(hidden), max_iter=args.max_iter)
                times[backend].append(reply["seconds"])
        numpy_ms = 1e3 * np.median(times["numpy"])
        keras_ms = 1e3 * np.median(times["keras"])
        pairwise = np.array(times["keras"]) / np.array(times["numpy"])
        rows.append((hidden, numpy_ms, keras_ms, pairwise))
    load_after, cpu_after = os.getloadavg(), _cpu_times()
    for worker in workers.values():
        worker.stdin.close()
        worker.wait()

    n, d = about["numpy"]["shape"]
    print(
        f"Data: bundled digits, {n} x {d}, 10 classes; L-BFGS-B, {args.max_iter} "
        f"iterations; median of {args.repeats} interleaved fits per backend, each "
        "backend in its own process."
    )
    steal = ""
    if cpu_before and cpu_after:
        ticks = cpu_after[1] - cpu_before[1]
        steal = f", CPU time stolen {100 * (cpu_after[0] - cpu_before[0]) / ticks:.0f}%"
    print(
        f"CPUs: {os.cpu_count()}; NumPy worker BLAS: "
        f"{', '.join(about['numpy']['blas'])}; Keras worker: {about['keras']['tf']}, "
        f"BLAS {', '.join(about['keras']['blas'])}; load average "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after{steal}."
    )
    print(
        f"{'hidden layers':>14} {'numpy ms/it':>12} {'keras ms/it':>12} "
        f"{'keras/numpy':>12} {'pairwise ratios (min-max)':>26}"
    )
    for hidden, numpy_ms, keras_ms, pairwise in rows:
        spread = f"{pairwise.min():.2f}-{pairwise.max():.2f}"
        print(
            f"{str(hidden):>14} {numpy_ms:12.2f} {keras_ms:12.2f} "
            f"{keras_ms / numpy_ms:12.2f} {spread:>26}"
        )


if __name__ == "__main__":
    main()
