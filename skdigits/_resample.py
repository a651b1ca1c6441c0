"""Image layouts and resampling behind :mod:`skdigits.datasets`, and the
class-balanced sample of :func:`~skdigits.datasets.fetch_mnist`.

Images are upright ``(n, side, side)`` stacks; ``order`` says how a loader's
``data`` unrolls them (``"F"`` column by column, the course's layout, or
``"C"`` row by row).
"""

import functools

import numpy as np
from scipy import ndimage


def check_order(order):
    if order not in ("C", "F"):
        raise ValueError(
            f'order must be "F" (column by column, the course\'s layout) or "C" '
            f"(row by row), got {order!r}."
        )


def unroll_images(images, order):
    """(n, side, side) upright images -> (n, side * side) rows in ``order``."""
    if order == "F":
        images = images.transpose(0, 2, 1)
    return np.ascontiguousarray(images.reshape(len(images), -1))


def resample_bilinear(images, size):
    """Resample a stack of square images in [0, 1] to ``size`` x ``size``
    pixels: bilinear, clipped to [0, 1]."""
    side = images.shape[1]
    if side == size:
        return images
    zoomed = ndimage.zoom(
        images, (1, size / side, size / side), order=1, grid_mode=True, mode="nearest"
    )
    return np.clip(zoomed, 0.0, 1.0)


@functools.cache
def _cubic_zoom_matrix(side, size):
    """The (size, side) matrix of ``scipy.ndimage.zoom(..., order=3)`` in 1-D.

    A cubic-spline zoom is separable and linear, so zooming an image ``A`` is
    ``M @ A @ M.T``: one matrix product for a whole stack, instead of a
    spline filter over the stack's axis too.
    """
    return np.stack(
        [ndimage.zoom(e, size / side, order=3) for e in np.eye(side)], axis=1
    )


def mnist_to_course(pixels, size):
    """MNIST rows (n, 784) in 0-255 -> upright (n, size, size) images.

    Pixels are scaled to [0, 1]; with ``size=20`` each image is resampled with
    ``scipy.ndimage.zoom(image, 20 / 28, order=3)`` (cubic spline), not
    clipped: the course's ex4data1.mat holds pixels outside [0, 1] as a cubic
    kernel gives, and with this resampling the course's pretrained weights
    reproduce the course's published cost and accuracy best.
    """
    images = np.asarray(pixels, dtype=np.float64).reshape(-1, 28, 28) / 255.0
    if size == 28:
        return images
    M = _cubic_zoom_matrix(28, size)
    return np.matmul(np.matmul(M, images), M.T)


def balanced_sample(target, n_samples, rng):
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
