"""5-fold CV accuracy and fit time: the defaults of both estimators.

``MLPDigitClassifier()`` (the course's network: 25 logistic hidden units,
logistic outputs, alpha=1, L-BFGS, max_iter=200) against ``MLPClassifier()``
(100 ReLU units, softmax, alpha=1e-4, Adam, max_iter=200), both with
``random_state=0``, on the bundled digits at 8x8 and at 20x20, with the same
stratified shuffled folds. Accuracy does not depend on the run; the fit time is
the mean over the 5 folds of one cross-validation, and the table gives the
median over interleaved repetitions.

Run: ``python benchmarks/bench_cv.py [--repeats 5]``
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
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_digits

ESTIMATORS = {
    "skdigits": lambda: MLPDigitClassifier(random_state=0),
    "sklearn": lambda: MLPClassifier(random_state=0),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print_environment("5-fold CV of the defaults: skdigits vs scikit-learn")
    data = {size: load_digits(size=size, return_X_y=True) for size in (8, 20)}
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    accuracy, n_iter = {}, {}

    def case(mode, size, who):
        X, y = data[size]

        def run():
            with thread_mode(mode), warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                cv = cross_validate(
                    ESTIMATORS[who](), X, y, cv=folds, return_estimator=True
                )
            accuracy[mode, size, who] = cv["test_score"]
            n_iter[mode, size, who] = np.mean([e.n_iter_ for e in cv["estimator"]])
            return float(np.mean(cv["fit_time"]))

        return run

    keys = [
        (mode, size, who)
        for mode in THREAD_MODES
        for size in (8, 20)
        for who in ESTIMATORS
    ]
    res = interleave({k: case(*k) for k in keys}, args.repeats)
    rows = []
    for mode in THREAD_MODES:
        for size in (8, 20):
            ours, theirs = (median(res[mode, size, w]) for w in ESTIMATORS)
            acc = [accuracy[mode, size, w] for w in ESTIMATORS]
            rows.append(
                [
                    mode,
                    f"{size}x{size}",
                    *(f"{a.mean():.4f} +- {a.std():.4f}" for a in acc),
                    f"{ours:.3f}",
                    f"{theirs:.3f}",
                    f"{ours / theirs:.2f}",
                    " / ".join(f"{n_iter[mode, size, w]:.0f}" for w in ESTIMATORS),
                ]
            )
    print(
        f"Mean test accuracy (+- std over the folds) and mean fit time per fold, "
        f"medians of {args.repeats} interleaved repetitions:\n"
    )
    print_table(
        [
            "BLAS threads",
            "digits",
            "skdigits accuracy",
            "sklearn accuracy",
            "skdigits fit s",
            "sklearn fit s",
            "time ratio",
            "iterations (skdigits / sklearn)",
        ],
        rows,
    )
    print(f"Load average at the end: {load()}")


if __name__ == "__main__":
    main()
