"""Elastically deformed digits: how fast they are made, and what they are worth.

1. Speed: digits per second on one core (Dask's synchronous scheduler, every
   BLAS pool on one thread), at the course's 20x20 and at 28x28, with and
   without the affine jitter; each chunk generated and reduced where it is
   computed (``X.sum(axis=0)``), so nothing is gathered. Interleaved, medians.
2. Describing 8 million rows: the time and the peak of Python allocations
   (tracemalloc) of ``make_deformed_digits(8_000_000)``.
3. Accuracy: the course network (25 hidden units, alpha=1, L-BFGS) trained on
   4000 of the 5000 real digits (a stratified split), held-out accuracy on the
   other 1000 -- trained on the originals only, and on the originals plus
   ``--copies`` x 4000 deformed digits drawn from the 4000 training digits only
   (``sources=``), without and with the affine jitter; one row per split
   seed (``--splits``), which seeds the split, the deformations and the fit.

Run: ``python benchmarks/bench_deform.py [--repeats 3] [--max-iter 400]
[--hidden 25 100] [--copies 5] [--affine 0 0.1] [--splits 0 1 2]
[--skip-accuracy]``
"""

import argparse
import time
import tracemalloc
import warnings

import dask
import numpy as np
from _common import (
    interleave,
    load,
    median,
    print_environment,
    print_table,
    timed,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_mnist_5k, make_deformed_digits

AFFINE = 0.1


def _wall_and_cpu(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def speed(repeats, n_samples=100_000):
    print(f"## 1. Digits per second on one core ({n_samples} digits, chunks of 20000)")
    print()
    print(
        "Wall-clock time, and this process's CPU time (on a busy machine the "
        "wall clock also counts the time other processes held the core)."
    )
    print()
    make_deformed_digits(10, random_state=0)[0].compute()  # load the sources
    cases = {}
    for size in (20, 28):
        for affine in (0.0, AFFINE):
            X, _ = make_deformed_digits(
                n_samples, size=size, affine=affine, random_state=0
            )
            cases[size, affine] = lambda X=X: _wall_and_cpu(X.sum(axis=0).compute)
    with threadpool_limits(1), dask.config.set(scheduler="synchronous"):
        results = interleave(cases, repeats)
    rows = [
        (
            f"{size}x{size}",
            affine,
            f"{n_samples / median([w for w, _ in times]):,.0f}",
            f"{n_samples / median([c for _, c in times]):,.0f}",
        )
        for (size, affine), times in results.items()
    ]
    print_table(("size", "affine", "digits/s (wall)", "digits/s (CPU time)"), rows)
    print(f"- load average after: {load()}")
    print()


def describe():
    print("## 2. Describing 8 million rows")
    print()
    seconds, _ = timed(make_deformed_digits, 10, random_state=0)
    print(f"- first call (imports dask.array): {seconds:.2f} s")
    tracemalloc.start()
    seconds, (X, y) = timed(make_deformed_digits, 8_000_000, random_state=0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"- make_deformed_digits(8_000_000): {seconds:.3f} s, peak of Python "
        f"allocations {peak / 2**20:.1f} MB; X {X.shape} in {X.numblocks[0]} "
        f"chunks ({X.nbytes / 2**30:.1f} GiB once computed)"
    )
    print()


def accuracy(hidden_sizes, copies, max_iter, affines, seeds):
    print(
        f"## 3. Held-out accuracy on 1000 real digits (trained on 4000, "
        f"+ {copies} x 4000 deformed; L-BFGS, max_iter={max_iter})"
    )
    print()
    rows = []
    for seed in seeds:
        rows += _accuracy_split(hidden_sizes, copies, max_iter, affines, seed)
    print()
    print_table(
        (
            "split",
            "hidden",
            "training set",
            "rows",
            "held-out acc.",
            "train acc. (originals)",
            "iterations",
            "fit s",
        ),
        rows,
    )


def _accuracy_split(hidden_sizes, copies, max_iter, affines, seed):
    """One stratified 4000/1000 split (``seed`` seeds the split, the deformed
    digits and the fits)."""
    X, y = load_mnist_5k(return_X_y=True)
    train, test = train_test_split(
        np.arange(len(y)), test_size=1000, stratify=y, random_state=seed
    )
    training_sets = {"originals": (X[train], y[train])}
    for affine in affines:
        Xd, yd = make_deformed_digits(
            copies * len(train), sources=train, affine=affine, random_state=seed
        )
        Xd, yd = dask.compute(Xd, yd)
        name = f"+ deformed (alpha=34, sigma=4, affine={affine})"
        training_sets[name] = (
            np.concatenate([X[train], Xd]),
            np.concatenate([y[train], yd]),
        )
    rows = []
    for hidden in hidden_sizes:
        for name, (X_train, y_train) in training_sets.items():
            clf = MLPDigitClassifier(
                hidden_layer_sizes=(hidden,), max_iter=max_iter, random_state=seed
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                seconds, _ = timed(clf.fit, X_train, y_train)
            rows.append(
                (
                    seed,
                    hidden,
                    name,
                    len(y_train),
                    f"{clf.score(X[test], y[test]):.1%}",
                    f"{clf.score(X[train], y[train]):.1%}",
                    clf.n_iter_,
                    f"{seconds:.0f}",
                )
            )
            print(*rows[-1], sep=" | ", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=400)
    parser.add_argument("--hidden", type=int, nargs="+", default=[25])
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--affine", type=float, nargs="+", default=[0.0, AFFINE])
    parser.add_argument("--splits", type=int, nargs="+", default=[0])
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()
    print_environment("make_deformed_digits: speed and accuracy")
    start = time.perf_counter()
    describe()
    speed(args.repeats)
    if not args.skip_accuracy:
        accuracy(args.hidden, args.copies, args.max_iter, args.affine, args.splits)
    print(f"total: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
