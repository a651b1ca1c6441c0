"""``python -m skdigits``: fit the course's network on the bundled 20x20 digits."""

import argparse
import sys
import time
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_val_score

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_digits


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m skdigits",
        description="Fit the course's 400-25-10 network (exercise 4) on the bundled "
        "digits resampled to 20x20, and report training and 5-fold CV accuracy.",
    )
    parser.add_argument(
        "--max-iter", type=int, default=50, help="CG iterations (default 50)"
    )
    parser.add_argument("--random-state", type=int, default=0)
    args = parser.parse_args(argv)

    X, y = load_digits(size=20, return_X_y=True)
    clf = MLPDigitClassifier(
        solver="cg", max_iter=args.max_iter, random_state=args.random_state
    )
    print(f"Data: {X.shape[0]} digits of 20x20 pixels ({X.shape[1]} features)")
    print(f"Network: {X.shape[1]}-25-10, sigmoid units, lambda = {clf.alpha}")
    # Like the course's fmincg, the demo runs a fixed number of iterations.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    start = time.perf_counter()
    clf.fit(X, y)
    print(
        f"Training: {clf.n_iter_} CG iterations in "
        f"{time.perf_counter() - start:.1f} s, "
        f"final cost {clf.loss_:.6f}"
    )
    print(f"Training accuracy: {clf.score(X, y):.4f}")
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(clf, X, y, cv=cv)
    print(f"5-fold CV accuracy: {scores.mean():.4f} +/- {scores.std():.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
