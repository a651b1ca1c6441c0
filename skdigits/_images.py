"""Your own digit images, normalised as MNIST's were, behind
:func:`skdigits.datasets.load_images`.

MNIST's digits were written on paper, scanned, and normalised: the ink's
bounding box fitted into 20 x 20 pixels keeping its aspect ratio
(anti-aliased, hence the grey levels), then placed in a 28 x 28 field so that
its centre of mass falls on the pixel (14, 14). The course's 20 x 20 images
are those 28 x 28 images resampled (:func:`skdigits._resample.mnist_to_course`).
A network trained on them has only seen digits drawn that way: a photo or a
drawing resized as a whole gives it a small, off-centre, thin digit it reads
badly. This module turns any picture of one digit into MNIST's 28 x 28 form:

1. ``ink_map``: grey levels in [0, 1], 1 where the ink is, whatever the
   input (file, grey, RGB or RGBA array, averaged down to 1000 pixels a side;
   dark ink on light paper or the reverse, told apart by the border, which is
   paper; a lighting gradient, fitted to the border, and noise below Otsu's
   threshold are paper too);
2. ``several_digits``: whether to warn that the picture holds several;
3. ``mnist_normalise``: crop to the ink, fit into 20 x 20 (a tent filter as
   wide as the scale factor: anti-aliased), centre by mass in 28 x 28, and
   widen strokes thinner than MNIST's.
"""

import os
import warnings
from pathlib import Path

import numpy as np
from scipy import ndimage

PILLOW_HINT = 'pip install "skdigits[images]" (or "skdigits[plot]")'
MNIST_BOX = 20  # the ink's bounding box is fitted into this many pixels
MNIST_FIELD = 28  # ... and centred by mass in a field of this many
MNIST_CENTRE = 14.0  # where MNIST's centres of mass fall (row and column)
# MNIST's strokes in the 20 x 20 box, in pixels (stroke_width): median 2.0,
# a quarter under 1.7. Thinner than THIN is widened by a dilation aimed at
# STROKE (the tent filter's blur takes some back: they land near 1.9).
THIN, STROKE = 1.7, 2.3
# Ink below this fraction of the strongest ink is paper texture or noise.
_NOISE = 0.2
# An image whose ink is weaker than this (on the 0-1 scale) has no ink.
_MIN_CONTRAST = 0.1
# A piece of ink holding this fraction of the ink or more is a digit's part.
_PART = 0.1
# Larger pictures are averaged down to at most this many pixels a side.
_WORK_SIDE = 1000
# Widest array side accepted.
_MAX_SIDE = 20000


def _luminance(rgb):
    """ITU-R 601 luma of an (h, w, 3) array, as Pillow's "L" conversion."""
    return rgb @ np.array([0.299, 0.587, 0.114])


def read_image_file(path):
    """The pixels of an image file as a float array (h, w) or (h, w, 3|4) in [0, 1]."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as exc:
        raise ImportError(
            f"Reading the image file '{path}' needs Pillow: {PILLOW_HINT}."
        ) from exc
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No image file at '{path}'.")
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode in ("I", "F") or image.mode.startswith("I;16"):
                # 16-bit or float grey levels: ink_map scales them by their max.
                return _shrink(np.asarray(image, dtype=np.float64))
            if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
                image = image.convert("RGBA")
            elif image.mode not in ("L", "RGB"):
                image = image.convert("RGB")
            pixels = _shrink(np.asarray(image)) / 255.0
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        OSError,
        SyntaxError,
        ValueError,
    ) as exc:
        raise ValueError(
            f"Cannot read '{path}' as an image ({type(exc).__name__}: {exc})."
        ) from exc
    return pixels


def _check_array(array, name):
    """A float array (h, w) or (h, w, 1|3|4), finite, at most _WORK_SIDE
    pixels a side; clear errors otherwise."""
    array = np.asarray(array)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_
    ):
        raise TypeError(
            f"{name} must be a file name or a numeric array, got an array of "
            f"dtype {array.dtype}."
        )
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in (3, 4))):
        raise ValueError(
            f"{name} has shape {array.shape}; expected one image: (height, width) "
            "grey levels, or (height, width, 3) RGB, or (height, width, 4) RGBA. "
            "Pass several images as a list."
        )
    if min(array.shape[:2]) < 2 or max(array.shape[:2]) > _MAX_SIDE:
        raise ValueError(
            f"{name} is {array.shape[1]} x {array.shape[0]} pixels; expected 2 to "
            f"{_MAX_SIDE} pixels a side."
        )
    if np.issubdtype(array.dtype, np.inexact) and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds non-finite values.")
    return _shrink(array).astype(np.float64)


def _otsu(values, bins=64):
    """Otsu's threshold: the level splitting ``values`` into two classes of
    least within-class variance (here paper and ink)."""
    counts, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    weight = np.cumsum(counts)
    total = weight[-1]
    mass = np.cumsum(counts * centres)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_low = mass / weight
        mean_high = (mass[-1] - mass) / (total - weight)
        between = weight * (total - weight) * (mean_low - mean_high) ** 2
    between = np.nan_to_num(between[:-1])
    return edges[1 + int(np.argmax(between))]


def _shrink(pixels):
    """Pixels averaged in k x k blocks so that no side exceeds _WORK_SIDE (a
    photo's 4000 pixels hold no more of a digit than 1000 do, and cost 16x)."""
    k = -(-max(pixels.shape[:2]) // _WORK_SIDE)
    if k == 1:
        return pixels
    h, w = (pixels.shape[0] // k) * k, (pixels.shape[1] // k) * k
    blocks = pixels[:h, :w].reshape(h // k, k, w // k, k, *pixels.shape[2:])
    return blocks.mean(axis=(1, 3))


def _paper_plane(grey, is_paper, n_fit=4000):
    """The paper's level under uneven light: a plane in the pixel coordinates,
    least-squares fitted to the paper pixels of the border (a ring 5% of the
    picture wide; at most ``n_fit`` of them). A picture of one digit has paper
    all around it; a fit to the paper inside would tilt towards faint ink."""
    ring = np.zeros(grey.shape, dtype=bool)
    width = max(1, min(grey.shape) // 20)
    ring[:width], ring[-width:], ring[:, :width], ring[:, -width:] = (True,) * 4
    rows, cols = np.nonzero(ring & is_paper)
    if rows.size < 3:
        return np.full(grey.shape, np.median(_border(grey)))
    step = max(1, rows.size // n_fit)
    rows, cols = rows[::step], cols[::step]
    scale = float(max(grey.shape))

    def terms(r, c):
        return np.stack([np.ones(r.shape), r / scale, c / scale], axis=-1)

    coef, *_ = np.linalg.lstsq(terms(rows, cols), grey[rows, cols], rcond=None)
    rr, cc = np.mgrid[0 : grey.shape[0], 0 : grey.shape[1]]
    return terms(rr, cc) @ coef


def _border(grey):
    """The pixels of the outermost ring (paper, in a picture of one digit)."""
    return np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])


def ink_map(pixels, name):
    """Ink in [0, 1] (1 = strongest ink, 0 = paper) of a grey/RGB/RGBA image.

    RGBA: where the border is transparent (a drawing on a transparent
    canvas) the ink is the opacity; otherwise the image is laid on white.
    The paper's level is the border's median: ink is what departs from it, in
    either direction (dark ink on light paper or the reverse), measured from
    a plane fitted to the border's paper (a lighting gradient), stretched so
    that the strongest ink is 1. Departures under Otsu's threshold (between
    20% and 50% of the strongest) are paper: uneven light, texture, noise.
    """
    pixels = _check_array(pixels, name)
    scale = pixels.max() if pixels.max() > 1.0 else 1.0  # 0-255, 0-65535, ...
    pixels = pixels / scale if scale > 0 else pixels
    if pixels.ndim == 3:
        colour, alpha = pixels[:, :, :3], None
        if pixels.shape[2] == 4:
            alpha = pixels[:, :, 3]
        if alpha is not None and np.median(_border(alpha)) < 0.5:
            grey = alpha
        else:
            grey = _luminance(colour)
            if alpha is not None:
                grey = alpha * grey + (1.0 - alpha)
    else:
        grey = pixels
    paper = np.median(_border(grey))
    # Light ink on dark paper and the reverse: keep only the departures on the
    # side the strongest ones are (a shadow is not ink).
    dark = (paper - grey).max() >= (grey - paper).max()
    ink = np.clip(paper - grey if dark else grey - paper, 0.0, None)
    if ink.max() > 0:  # uneven light: measured from the paper on the border
        surface = _paper_plane(grey, ink < _otsu(ink))
        ink = np.clip(surface - grey if dark else grey - surface, 0.0, None)
    # The strongest ink, robust to a few specks of noise.
    strongest = max(np.percentile(ink, 99.9), ink.max() / 2)
    if strongest < _MIN_CONTRAST:
        raise ValueError(
            f"{name} holds no ink: its pixels depart from the paper's level by "
            f"{strongest:.3f} at most (a blank image?). Draw or photograph one "
            "digit, dark on light or light on dark."
        )
    # Paper is what departs less than Otsu's threshold between paper and ink
    # (uneven lighting, texture, noise), and at least 20% of the strongest.
    level = min(max(_NOISE * strongest, _otsu(ink)), 0.5 * strongest)
    ink = np.clip((ink - level) / (strongest - level), 0.0, 1.0)
    return ink


def _parts(ink):
    """Column spans of the pieces of ink holding at least ``_PART`` of it."""
    mask = ndimage.binary_dilation(ink > 0, iterations=max(1, min(ink.shape) // 50))
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n < 2:
        return []
    mass = ndimage.sum(ink, labels, index=np.arange(1, n + 1))
    spans = []
    for i, slices in enumerate(ndimage.find_objects(labels)):
        if mass[i] >= _PART * mass.sum():
            spans.append((slices[1].start, slices[1].stop))
    return sorted(spans)


def several_digits(ink):
    """Whether the ink seems to hold several digits side by side: big pieces
    of ink whose column spans do not overlap (the strokes of one digit do)."""
    spans = _parts(ink)
    return any(nxt[0] >= prev[1] for prev, nxt in zip(spans, spans[1:]))


def _tent_matrix(n_in, n_out):
    """(n_out, n_in) resampling matrix: a tent filter as wide as the scale.

    Shrinking, each output pixel averages the input pixels it covers (and
    half of its neighbours', linearly): anti-aliased, as MNIST's digits were.
    Enlarging, it is linear interpolation. Rows sum to 1.
    """
    scale = n_in / n_out
    support = max(scale, 1.0)
    centres = (np.arange(n_out) + 0.5) * scale - 0.5
    offsets = (np.arange(n_in)[None, :] - centres[:, None]) / support
    weights = np.clip(1.0 - np.abs(offsets), 0.0, None)
    # At the edges, a tent that hangs over the image keeps only its inside.
    return weights / weights.sum(axis=1, keepdims=True)


def stroke_width(field, up=4):
    """The mean stroke width, in pixels, of a normalised image: twice the inked
    area over the outline's length, measured on a 4x finer grid."""
    fine = ndimage.zoom(field, up, order=1) > 0.5
    outline = np.count_nonzero(np.diff(fine, axis=0)) + np.count_nonzero(
        np.diff(fine, axis=1)
    )
    return 2.0 * fine.sum() / max(outline, 1) / up


def _disk(radius):
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    return xx**2 + yy**2 <= radius**2 + 0.25


def _fit(crop):
    """The crop fitted into the 20 x 20 box, centred by mass in 28 x 28."""
    h, w = crop.shape
    factor = MNIST_BOX / max(h, w)
    out_h = max(1, min(MNIST_BOX, round(h * factor)))
    out_w = max(1, min(MNIST_BOX, round(w * factor)))
    box = _tent_matrix(h, out_h) @ crop @ _tent_matrix(w, out_w).T
    box = np.clip(box / box.max(), 0.0, 1.0)
    field = np.zeros((MNIST_FIELD, MNIST_FIELD))
    r_mass, c_mass = ndimage.center_of_mass(box)
    top = int(np.clip(round(MNIST_CENTRE - r_mass), 0, MNIST_FIELD - out_h))
    left = int(np.clip(round(MNIST_CENTRE - c_mass), 0, MNIST_FIELD - out_w))
    field[top : top + out_h, left : left + out_w] = box
    return field


def _crop(ink):
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def mnist_normalise(ink, thicken=True):
    """MNIST's 28 x 28 form of an ink map: the ink's bounding box fitted into
    20 x 20 keeping its aspect ratio, anti-aliased, centred by mass.

    MNIST's strokes are about 2 pixels wide (median; a quarter are under
    1.7) in that box. A digit drawn with a thin pen on a big canvas would be
    a faint hairline there, which the network reads badly: with ``thicken``,
    strokes thinner than ``THIN`` are widened (a grey dilation, at 5 times
    the box's resolution) to about MNIST's median width.
    """
    crop = _crop(ink)
    side = max(crop.shape)
    work = 5 * MNIST_BOX
    if side > work:  # shrink to 100 pixels a side first: the dilation is cheap
        h, w = crop.shape
        shape = (max(1, round(h * work / side)), max(1, round(w * work / side)))
        crop = _tent_matrix(h, shape[0]) @ crop @ _tent_matrix(w, shape[1]).T
        side = max(crop.shape)
    field = _fit(crop)
    if not thicken:
        return field
    width = stroke_width(field)
    if width >= THIN:
        return field
    radius = (STROKE - width) / 2 * side / MNIST_BOX
    if radius < 0.5:
        return field
    pad = int(np.ceil(radius))
    crop = ndimage.grey_dilation(np.pad(crop, pad), footprint=_disk(radius))
    return _fit(_crop(crop))


def _describe(image, index):
    if isinstance(image, str | os.PathLike):
        return f"'{os.fspath(image)}'", os.fspath(image)
    return f"image {index} (an array)", f"<array {index}>"


def normalise_images(images):
    """Upright (n, 28, 28) MNIST-style images in [0, 1], and their names.

    ``images``: a file name, an array (one image), or a list of them.
    """
    if isinstance(images, str | os.PathLike | np.ndarray):
        images = [images]
    else:
        try:
            images = list(images)
        except TypeError:
            raise TypeError(
                "images must be a file name, an array, or a list of them; got "
                f"{type(images).__name__}."
            ) from None
    if not images:
        raise ValueError("images is empty: pass at least one file name or array.")
    fields, names = [], []
    for index, image in enumerate(images):
        name, source = _describe(image, index)
        if isinstance(image, str | os.PathLike):
            image = read_image_file(image)
        ink = ink_map(image, name)
        if several_digits(ink):
            warnings.warn(
                f"{name} seems to hold several digits side by side; load_images "
                "reads one digit per image, so the result will be a guess. Crop "
                "each digit to its own image.",
                UserWarning,
                stacklevel=3,
            )
        fields.append(mnist_normalise(ink))
        names.append(source)
    return np.stack(fields), names
