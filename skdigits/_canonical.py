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


def collapse_rows(X, y_index, sample_weight):
    """Merge identical ``(x, y)`` rows, summing their weights; drop weight 0.

    Returns ``(X, y_index, sample_weight)`` with the unique rows sorted by their
    bytes, so that the result does not depend on the order of the rows either.
    """
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
