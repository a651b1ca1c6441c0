"""Digit data sets: scikit-learn's bundled digits, offline, at 8x8 or 20x20."""

import numpy as np
from scipy import ndimage
from sklearn import datasets as _sk_datasets
from sklearn.utils import Bunch

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
