"""A canonical form of a weighted training set for the full-batch objective.

The full-batch objective depends only on the weighted multiset of rows
``(x_i, y_i, s_i)``: a row repeated ``k`` times is the same as one row of
weight ``k``, the order of the rows is irrelevant, and rows of weight 0
contribute nothing. :func:`collapse_rows` computes that canonical form (unique
rows in a fixed order, summed weights, zero-weight rows dropped), so a
full-batch fit is a function of the weighted data alone, bit for bit: the same
whether a sample is duplicated or weighted, and whatever the row order. It is
also less work on data with repeated rows.
"""

import numpy as np
import scipy.sparse as sp


def _row_keys(X):
    """One hashable, orderable key per row of ``X`` (dense or CSR)."""
    if sp.issparse(X):
        X = X.tocsr(copy=True)
        X.sum_duplicates()
        X.eliminate_zeros()
        return np.array(
            [
                X.indices[a:b].tobytes() + X.data[a:b].tobytes()
                for a, b in zip(X.indptr[:-1], X.indptr[1:])
            ],
            dtype=object,
        )
    X = np.ascontiguousarray(X)
    return X.view(np.dtype((np.void, X.dtype.itemsize * X.shape[1]))).ravel()


# The canonical copy starts at a multiple of this many bytes: TensorFlow's CPU
# kernels need tensor memory aligned to Eigen's largest vector (64 bytes with
# AVX-512), so the Keras objective can then share the copy instead of making a
# second one. NumPy aligns large arrays to 16 bytes only.
ALIGNMENT = 64


def aligned_empty(shape, dtype):
    """An uninitialised C-contiguous array starting at an ``ALIGNMENT``-byte address."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    return buffer[start : start + nbytes].view(dtype).reshape(shape)


# Rows are hashed in blocks of about this many bytes of 64-bit words.
_HASH_BLOCK_BYTES = 2 * 2**20


def _row_hashes(X):
    """A 64-bit hash of every row's bytes of a dense ``X``; equal rows, equal hashes.

    Each row is read as 64-bit words (32-bit words or bytes if its length is
    not a multiple of 8 or 4), each word ``w`` is mixed into
    ``f(w) = w ^ (w >> 29)``, and the row is hashed as
    ``sum_j c_j * f(w_j) mod 2**64`` with fixed odd random coefficients
    ``c_j``: exact integer arithmetic, so identical rows get identical hashes
    on every machine. The mixing matters for floats: a product modulo
    ``2**64`` keeps none of a word's high bits beyond its lowest set bit, and
    the words of small integers or of ``k / 16`` in float64 have their low 52
    bits zero, so unmixed, 1797 distinct rows of the digits had 52 collisions.
    ``f`` is invertible and brings the sign, exponent and leading mantissa
    bits down to bits 19-34 (of each float32 of a pair, likewise); no
    collisions then on the digits, the 5000 MNIST digits, small integers or
    multiples of 1/16 (up to 200000 rows), in float32 and float64.
    """
    X = np.ascontiguousarray(X)
    n = X.shape[0]
    row_bytes = X.dtype.itemsize * (X.shape[1] if X.ndim > 1 else 1)
    word = (
        np.uint64
        if row_bytes % 8 == 0
        else np.uint32
        if row_bytes % 4 == 0
        else np.uint8
    )
    words = X.reshape(n, -1).view(word).reshape(n, -1)
    coef = np.random.default_rng(0x5EED).integers(
        1, 2**63, size=words.shape[1], dtype=np.uint64, endpoint=False
    )
    coef |= np.uint64(1)
    hashes = np.empty(n, dtype=np.uint64)
    # Blocks bound the mixed (and widened) copy of the words.
    step = max(1, _HASH_BLOCK_BYTES // (8 * max(1, words.shape[1])))
    mixed = np.empty((min(n, step), words.shape[1]), dtype=np.uint64)
    for start in range(0, n, step):
        block = words[start : start + step]
        m = mixed[: len(block)]
        np.right_shift(block, np.uint64(29), out=m, casting="unsafe")
        np.bitwise_xor(block, m, out=m, casting="unsafe")
        # A matrix-vector product of unsigned integers wraps modulo 2**64: exact.
        np.matmul(m, coef, out=hashes[start : start + len(block)])
    return hashes


def _collapse_exact(X, y_index, sample_weight):
    """The reference: unique rows sorted by their bytes (any input)."""
    keys = _row_keys(X)
    _, row_id = np.unique(keys, return_inverse=True)
    pairs, first, group = np.unique(
        np.column_stack([row_id.ravel(), y_index]),
        axis=0,
        return_index=True,
        return_inverse=True,
    )
    weight = np.bincount(group.ravel(), weights=sample_weight, minlength=len(pairs))
    keep = weight > 0
    rows = first[keep]
    return X[rows], y_index[rows], weight[keep]


def collapse_rows(X, y_index, sample_weight):
    """Merge identical ``(x, y)`` rows, summing their weights; drop weight 0.

    Returns ``(X, y_index, sample_weight)`` with the unique rows in an order
    that depends on their content alone, so that the result does not depend on
    the order of the rows either.

    Dense data is ordered by a 64-bit hash of each row's bytes, then by label:
    one integer sort instead of a sort of whole rows. Rows with equal hash and
    label are checked to be equal; if two distinct rows ever share both (a
    hash collision), the function falls back to sorting the rows by their
    bytes. Sparse data always takes that path.
    """
    y_index = np.asarray(y_index)
    sample_weight = np.asarray(sample_weight)
    if sp.issparse(X) or X.ndim != 2 or len(X) == 0:
        return _collapse_exact(X, y_index, sample_weight)
    hashes = _row_hashes(X)
    order = np.lexsort((y_index, hashes))
    h, yy = hashes[order], y_index[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (h[1:] != h[:-1]) | (yy[1:] != yy[:-1])
    repeated = np.flatnonzero(~new)
    if len(repeated):
        later, earlier = order[repeated], order[repeated - 1]
        if not np.array_equal(X[later].view(np.uint8), X[earlier].view(np.uint8)):
            return _collapse_exact(X, y_index, sample_weight)
    group = np.cumsum(new) - 1
    weight = np.bincount(group, weights=sample_weight[order], minlength=group[-1] + 1)
    keep = weight > 0
    rows = order[new][keep]
    # np.take copies rows faster than fancy indexing; with ``out`` it is
    # unbuffered only in a mode other than 'raise' (the rows are valid).
    out = aligned_empty((len(rows), X.shape[1]), X.dtype)
    np.take(X, rows, axis=0, out=out, mode="clip")
    return out, y_index[rows], weight[keep]
