"""The walk-through's closing "Run" section and its one-line summary."""

import importlib.metadata
import os
import platform
import sys

import numpy as np
import scipy
import sklearn

from skdigits import __version__
from skdigits._cli.options import N_FOLDS, PLOT_HINT
from skdigits._cli.steps import percent


def _blas_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        return "unknown"
    counts = {info["num_threads"] for info in threadpool_info()}
    return ", ".join(str(n) for n in sorted(counts)) or "none found"


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


def run_section(report, total, seconds, keras_clf):
    """The "Run" section: times (``seconds`` of the training, the
    cross-validation and the Keras fit), versions, BLAS threads."""
    fit_seconds, cv_seconds, keras_seconds = seconds
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
    if not report.pictures:
        report.note(f"No pictures: matplotlib is not installed ({PLOT_HINT}).")


def print_summary(path, train_accuracy, scores, clf, keras_clf, total):
    """The last two lines on screen: the numbers, and where the report is."""
    print(
        f"\nSummary: training accuracy {percent(train_accuracy)}, {N_FOLDS}-fold CV "
        f"accuracy {percent(scores.mean())}"
        + (
            f", Keras final cost {keras_clf.loss_:.6f} vs NumPy {clf.loss_:.6f}"
            if keras_clf is not None
            else ""
        )
        + f"; {total:.1f} s."
    )
    print(f"Report: {os.fspath(path)}")
