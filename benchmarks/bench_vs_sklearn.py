"""Time per L-BFGS iteration: skdigits' NumPy backend vs scikit-learn's MLP.

Both minimise the same objective -- the course network 400-25-10 on the bundled
digits at 20x20, logistic hidden and output units, the binary cross-entropy
summed over the outputs (scikit-learn's loss when it is fed one-hot targets),
the same ``alpha`` -- with SciPy's L-BFGS-B, the same ``max_iter`` and
``tol=0``. A fit's time divided by its number of iterations is one
measurement; the fits of every configuration are interleaved and the table
gives the medians. The objective check evaluates skdigits' objective at
scikit-learn's fitted weights and compares it with scikit-learn's ``loss_``.

Run: ``python benchmarks/bench_vs_sklearn.py [--repeats 7] [--max-iter 100]``
"""

import argparse
import warnings

import numpy as np
from _common import (
    THREAD_MODES,
    interleave,
    load,
    median,
    print_environment,
    print_table,
    thread_mode,
    timed,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skdigits import MLPDigitClassifier
from skdigits._backends import make_objective
from skdigits._network import theta_from_layers
from skdigits.datasets import load_digits

ALPHA = 1.0


def fit_skdigits(X, y, max_iter):
    clf = MLPDigitClassifier(
        hidden_layer_sizes=(25,),
        alpha=ALPHA,
        solver="lbfgs",
        max_iter=max_iter,
        tol=0,
        random_state=0,
    )
    seconds, _ = timed(clf.fit, X, y)
    return clf, seconds


def fit_sklearn(X, Y, max_iter):
    clf = MLPClassifier(
        hidden_layer_sizes=(25,),
        activation="logistic",
        alpha=ALPHA,
        solver="lbfgs",
        max_iter=max_iter,
        tol=0,
        random_state=0,
    )
    seconds, _ = timed(clf.fit, X, Y)
    return clf, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--max-iter", type=int, default=100)
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)

    print_environment("skdigits vs scikit-learn: time per L-BFGS iteration")
    X64, y = load_digits(size=20, return_X_y=True)
    Y = np.eye(10)[y]
    print(
        f"Data: {X64.shape[0]} x {X64.shape[1]}, network 400-25-10, alpha={ALPHA}, "
        f"max_iter={args.max_iter}, tol=0; {args.repeats} interleaved runs.\n"
    )

    n_iter = {}

    def case(mode, dtype, who):
        X = X64.astype(dtype)

        def run():
            with thread_mode(mode):
                if who == "skdigits":
                    clf, seconds = fit_skdigits(X, y, args.max_iter)
                else:
                    clf, seconds = fit_sklearn(X, Y, args.max_iter)
            n_iter[mode, dtype, who] = clf.n_iter_
            return seconds / clf.n_iter_

        return run

    cases = {
        (mode, dtype, who): case(mode, dtype, who)
        for mode in THREAD_MODES
        for dtype in ("float64", "float32")
        for who in ("skdigits", "sklearn")
    }
    results = interleave(cases, args.repeats)

    rows = []
    for mode in THREAD_MODES:
        for dtype in ("float64", "float32"):
            ours = median(results[mode, dtype, "skdigits"])
            theirs = median(results[mode, dtype, "sklearn"])
            rows.append(
                [
                    mode,
                    dtype,
                    f"{ours * 1e3:.2f}",
                    f"{theirs * 1e3:.2f}",
                    f"{ours / theirs:.2f}",
                    f"{n_iter[mode, dtype, 'skdigits']} / "
                    f"{n_iter[mode, dtype, 'sklearn']}",
                ]
            )
    print_table(
        [
            "BLAS threads",
            "dtype",
            "skdigits ms/iter",
            "sklearn ms/iter",
            "ratio",
            "iterations (skdigits / sklearn)",
        ],
        rows,
    )

    # The two minimise the same function: evaluate ours at sklearn's weights.
    sk, _ = fit_sklearn(X64, Y, args.max_iter)
    f = make_objective(
        X64,
        Y,
        np.ones(len(y)),
        l2=ALPHA,
        layer_sizes=[400, 25, 10],
        activation="logistic",
        out_activation="logistic",
    )
    ours_at_theirs = f(theta_from_layers(sk.coefs_, sk.intercepts_))[0]
    print(
        f"Objective check: skdigits' objective at scikit-learn's fitted weights "
        f"{ours_at_theirs:.10f}, scikit-learn's loss_ {sk.loss_:.10f}."
    )
    print(f"Load average at the end: {load()}")


if __name__ == "__main__":
    main()
