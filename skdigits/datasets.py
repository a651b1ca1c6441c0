"""Digit data sets: bundled, the course's .mat files, and MNIST.

- :func:`load_digits`: scikit-learn's bundled digits, offline, at 8x8 or 20x20;
  pixels unrolled row-major (NumPy's order).
- :func:`load_course_data` and :func:`load_course_weights`: the course's
  ``ex4data1.mat`` / ``ex3data1.mat`` and ``ex4weights.mat``.
- :func:`fetch_mnist`: MNIST from OpenML, resampled to the course's layout.

The course's layout unrolls every 20x20 image column by column (MATLAB's
order); :func:`load_course_data` and :func:`fetch_mnist` keep that order in
``data``, so that the course's weights apply to it unchanged. ``images`` is
always upright. :func:`skdigits.plotting.plot_digits` draws either order.
"""

import os
from pathlib import Path

import numpy as np
import scipy.io
from scipy import ndimage
from sklearn import datasets as _sk_datasets
from sklearn.utils import Bunch, check_random_state

COURSE_SIDE = 20

_DIGITS_DESCR = """\
Handwritten digits (scikit-learn's bundled copy of the UCI optical digits)
=========================================================================

1797 images of the digits 0-9, one 8x8 grid of 4x4-pixel block counts each
(values 0-16 in the original), shipped with scikit-learn so that it loads
offline. skdigits scales the pixels to [0, 1]. With ``size=20`` every image is
resampled (bilinear, clipped to [0, 1]) to the 20x20 grid of the Machine
Learning course's exercise 4, giving 400 features per image.

``images`` has shape (n_samples, size, size) and is upright; ``data`` holds the
same pixels unrolled row by row (row-major, NumPy's order), so that
``data[i].reshape(size, size)`` is ``images[i]``. Note that the course's own
``ex4data1.mat`` unrolls its images column by column (MATLAB's order).
"""


def _resample(images, size):
    """Resample a stack of square images to ``size`` x ``size`` pixels."""
    side = images.shape[1]
    if side == size:
        return images
    zoomed = ndimage.zoom(
        images, (1, size / side, size / side), order=1, grid_mode=True, mode="nearest"
    )
    return np.clip(zoomed, 0.0, 1.0)


def load_digits(*, size=20, return_X_y=False):
    """Load scikit-learn's bundled handwritten digits, scaled to [0, 1].

    Parameters
    ----------
    size : {20, 8}, default=20
        Side of the returned images: 8 as shipped, or 20 (resampled) for the
        course's 400-feature layout.

    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, size * size) row-major pixels in [0, 1],
        ``target`` (n_samples,) digits 0-9, ``images`` (n_samples, size, size),
        ``DESCR``.

    (data, target) : tuple if ``return_X_y`` is True
        The pixel matrix and the digits.

    Examples
    --------
    >>> from skdigits.datasets import load_digits
    >>> digits = load_digits()
    >>> digits.data.shape, digits.images.shape
    ((1797, 400), (1797, 20, 20))
    >>> float(digits.data.min()), float(digits.data.max())
    (0.0, 1.0)
    """
    if size not in (8, COURSE_SIDE):
        raise ValueError(f"size must be 8 or {COURSE_SIDE}, got {size!r}.")
    raw = _sk_datasets.load_digits()
    images = _resample(raw.images / 16.0, size)
    data = images.reshape(len(images), -1)
    target = raw.target.astype(np.int64)
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, images=images, DESCR=_DIGITS_DESCR)


_COURSE_DESCR = """\
The Machine Learning course's handwritten digits (ex4data1.mat / ex3data1.mat)
==============================================================================

{n_samples} images of {side}x{side} gray-level pixels read from {path!r}.
The course's file holds 5000 training examples (500 per digit), a subset of
MNIST. In the file the digit 0 has the label 10; ``target`` holds digits 0-9
(label 10 becomes 0).

``data`` keeps the file's pixel order: each image is unrolled column by column
(MATLAB's order), so that the course's weights (``ex4weights.mat``) apply to
it unchanged. ``images`` has shape (n_samples, {side}, {side}) and is upright:
``images[i]`` is ``data[i].reshape({side}, {side}, order="F")``. Plot ``data``
with ``skdigits.plotting.plot_digits(..., order="F")`` or
``skdigits.course.display_data``.
"""

_MNIST_DESCR = """\
MNIST handwritten digits, resampled to the course's layout
==========================================================

{n_samples} of the 70000 MNIST digits (training and test sets together, in
OpenML's order), fetched with scikit-learn's ``fetch_openml("mnist_784")``.
Pixels are scaled from 0-255 to [0, 1]; with ``size=20`` every 28x28 image is
resampled (bilinear, clipped to [0, 1]) to the 20x20 grid of the course's
exercise 4. ``target`` holds the digits 0-9.

As in the course's ``ex4data1.mat``, ``data`` unrolls each image column by
column (MATLAB's order). ``images`` has shape (n_samples, {size}, {size}) and
is upright: ``images[i]`` is ``data[i].reshape({size}, {size}, order="F")``.
"""


def _read_mat(path, what):
    """Variables of a MATLAB file, with clear errors."""
    path = Path(os.fspath(path))
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
        raise ValueError(
            f"Could not read '{path}' as a MATLAB .mat file: {exc}"
        ) from exc


def _get_variables(variables, names, path, what):
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


def load_course_data(path, *, return_X_y=False):
    """Load the course's digit data file (``ex4data1.mat`` or ``ex3data1.mat``).

    Parameters
    ----------
    path : str or path-like
        The ``.mat`` file, holding ``X`` (one image per row, unrolled column by
        column) and ``y`` (labels 1..10, 10 for the digit 0).

    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, n_pixels) in the file's column-major pixel order
        and row order, ``target`` (n_samples,) digits 0-9, ``images``
        (n_samples, side, side) upright, ``DESCR``.

    (data, target) : tuple if ``return_X_y`` is True
        The pixel matrix and the digits.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.

    ValueError
        If the file is not a readable ``.mat`` file, lacks ``X`` or ``y``, or
        holds them in the wrong shape or with labels outside 1..10.

    See Also
    --------
    load_course_weights : The course's pretrained weights for this data.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np, scipy.io
    >>> from skdigits.datasets import load_course_data
    >>> path = Path(tempfile.mkdtemp()) / "ex4data1.mat"
    >>> scipy.io.savemat(path, {"X": np.eye(2, 400), "y": [[10], [1]]})
    >>> course = load_course_data(path)
    >>> course.data.shape, course.target, course.images.shape
    ((2, 400), array([0, 1]), (2, 20, 20))
    """
    what = "the course's data file (ex4data1.mat)"
    variables = _read_mat(path, what)
    X, y = _get_variables(variables, ("X", "y"), path, what)
    if X.ndim != 2:
        raise ValueError(
            f"X in '{path}' must be a matrix with one image per row; got shape "
            f"{X.shape}."
        )
    side = int(round(np.sqrt(X.shape[1])))
    if side * side != X.shape[1] or X.shape[0] == 0:
        raise ValueError(
            f"X in '{path}' has shape {X.shape}; expected one square image per row, "
            f"such as (5000, 400) for the course's 20x20 digits."
        )
    if y.size != X.shape[0] or (y.ndim == 2 and 1 not in y.shape) or y.ndim > 2:
        raise ValueError(
            f"y in '{path}' has shape {y.shape}; expected one label per row of X, "
            f"shape ({X.shape[0]}, 1)."
        )
    y = y.ravel()
    if not np.all(np.isin(y, np.arange(1, 11))):
        raise ValueError(
            f"y in '{path}' must hold the course's labels 1..10 (10 for the digit "
            f"0); found {np.unique(y)[:12]!r}."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError(f"X in '{path}' holds non-finite values.")
    data = np.ascontiguousarray(X)
    target = (y.astype(np.int64)) % 10
    if return_X_y:
        return data, target
    images = data.reshape(-1, side, side).transpose(0, 2, 1).copy()
    descr = _COURSE_DESCR.format(n_samples=len(data), side=side, path=str(path))
    return Bunch(data=data, target=target, images=images, DESCR=descr)


def load_course_weights(path):
    """Load the course's pretrained weights (``ex4weights.mat``).

    Parameters
    ----------
    path : str or path-like
        The ``.mat`` file, holding ``Theta1`` of shape ``(hidden, 1 + n_in)``
        and ``Theta2`` of shape ``(num_labels, 1 + hidden)``, biases in column
        0 (25x401 and 10x26 in the course).

    Returns
    -------
    Theta1 : ndarray of shape (hidden_layer_size, 1 + input_layer_size)
        Hidden-layer weights.

    Theta2 : ndarray of shape (num_labels, 1 + hidden_layer_size)
        Output-layer weights.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.

    ValueError
        If the file is not a readable ``.mat`` file, lacks ``Theta1`` or
        ``Theta2``, or their shapes do not chain.

    See Also
    --------
    skdigits.course.classifier_from_thetas : A fitted classifier from them.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np, scipy.io
    >>> from skdigits.datasets import load_course_weights
    >>> path = Path(tempfile.mkdtemp()) / "ex4weights.mat"
    >>> weights = {"Theta1": np.ones((25, 401)), "Theta2": np.ones((10, 26))}
    >>> scipy.io.savemat(path, weights)
    >>> Theta1, Theta2 = load_course_weights(path)
    >>> Theta1.shape, Theta2.shape
    ((25, 401), (10, 26))
    """
    what = "the course's weights file (ex4weights.mat)"
    variables = _read_mat(path, what)
    Theta1, Theta2 = _get_variables(variables, ("Theta1", "Theta2"), path, what)
    if Theta1.ndim != 2 or Theta1.shape[1] < 2:
        raise ValueError(
            f"Theta1 in '{path}' has shape {Theta1.shape}; expected (hidden, 1 + "
            "n_in), such as (25, 401)."
        )
    if Theta2.ndim != 2 or Theta2.shape[1] != Theta1.shape[0] + 1:
        raise ValueError(
            f"Theta2 in '{path}' has shape {Theta2.shape}; with Theta1 of shape "
            f"{Theta1.shape} it must be (num_labels, {Theta1.shape[0] + 1})."
        )
    if not (np.all(np.isfinite(Theta1)) and np.all(np.isfinite(Theta2))):
        raise ValueError(f"The weights in '{path}' hold non-finite values.")
    return Theta1, Theta2


def _is_network_error(exc):
    # urllib's URLError, socket timeouts, refused or reset connections and DNS
    # failures are OSErrors without a file name; file-system errors name a file.
    return isinstance(exc, OSError) and getattr(exc, "filename", None) is None


def _mnist_to_course(pixels, size):
    """MNIST rows (n, 784) in 0-255 -> upright (n, size, size) images in [0, 1]."""
    images = np.asarray(pixels, dtype=np.float64).reshape(-1, 28, 28) / 255.0
    chunks = [
        _resample(images[i : i + 5000], size) for i in range(0, len(images), 5000)
    ]
    return np.concatenate(chunks) if chunks else images


def _balanced_sample(target, n_samples, rng):
    """Sorted indices of ``n_samples`` rows, as evenly spread over digits as can be."""
    classes = np.unique(target)
    per_class = np.full(len(classes), n_samples // len(classes))
    per_class[rng.choice(len(classes), n_samples % len(classes), replace=False)] += 1
    chosen = []
    for digit, count in zip(classes, per_class):
        rows = np.flatnonzero(target == digit)
        if count > rows.size:
            raise ValueError(
                f"n_samples={n_samples} asks for {count} images of the digit "
                f"{digit}, but only {rows.size} are available."
            )
        chosen.append(rng.choice(rows, count, replace=False))
    return np.sort(np.concatenate(chosen))


def fetch_mnist(*, size=20, n_samples=None, data_home=None, random_state=None):
    """Fetch MNIST from OpenML, in the course's 20x20 column-major layout.

    The 70000 digits are downloaded once through scikit-learn's
    :func:`~sklearn.datasets.fetch_openml` (about 15 MB, cached in
    ``data_home``). Without a network connection it fails at once, with a
    message pointing to the offline data sets.

    Parameters
    ----------
    size : {20, 28}, default=20
        Side of the returned images: 20 resamples each 28x28 digit to the
        course's grid (bilinear), 28 keeps MNIST's own.

    n_samples : int, default=None
        Return a random class-balanced sample of this many digits (the course's
        file has 5000, 500 per digit), in MNIST's order; all 70000 when None.

    data_home : str or path-like, default=None
        Download and cache folder; scikit-learn's default
        (``~/scikit_learn_data``) when None.

    random_state : int, RandomState instance or None, default=None
        Seeds the sample.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, size * size) pixels in [0, 1], each image unrolled
        column by column like the course's file; ``target`` (n_samples,) digits
        0-9; ``images`` (n_samples, size, size) upright; ``DESCR``.

    Raises
    ------
    ConnectionError
        If MNIST is not cached and cannot be downloaded.

    See Also
    --------
    load_digits : Bundled digits, offline.
    load_course_data : The course's own 5000 digits, from its ``.mat`` file.

    Examples
    --------
    >>> from skdigits.datasets import fetch_mnist
    >>> mnist = fetch_mnist(n_samples=5000, random_state=0)  # doctest: +SKIP
    >>> mnist.data.shape, mnist.images.shape  # doctest: +SKIP
    ((5000, 400), (5000, 20, 20))
    """
    if size not in (COURSE_SIDE, 28):
        raise ValueError(f"size must be {COURSE_SIDE} or 28, got {size!r}.")
    if n_samples is not None and (
        not isinstance(n_samples, int | np.integer)
        or isinstance(n_samples, bool)
        or not 10 <= n_samples <= 70000
    ):
        raise ValueError(
            f"n_samples must be None or an integer from 10 (one per digit) to "
            f"70000, got {n_samples!r}."
        )
    rng = check_random_state(random_state)
    try:
        pixels, labels = _sk_datasets.fetch_openml(
            "mnist_784",
            version=1,
            data_home=data_home,
            as_frame=False,
            return_X_y=True,
            n_retries=1,
            delay=0.1,
        )
    except Exception as exc:
        if not _is_network_error(exc):
            raise
        raise ConnectionError(
            f"Could not download MNIST from OpenML ({exc}). fetch_mnist needs the "
            "internet the first time (the data is then cached in data_home). "
            "Offline, use skdigits.datasets.load_digits() (scikit-learn's bundled "
            "digits at 20x20) or skdigits.datasets.load_course_data(path) with "
            "the course's ex4data1.mat."
        ) from exc
    target = np.asarray(labels).astype(np.int64)
    if n_samples is not None:
        rows = _balanced_sample(target, int(n_samples), rng)
        pixels, target = np.asarray(pixels)[rows], target[rows]
    images = _mnist_to_course(pixels, size)
    data = images.transpose(0, 2, 1).reshape(len(images), -1)
    descr = _MNIST_DESCR.format(n_samples=len(data), size=size)
    return Bunch(data=data, target=target, images=images, DESCR=descr)
