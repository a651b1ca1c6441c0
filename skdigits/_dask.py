"""Dask arrays in: the chunks are the objective's blocks, the workers its executor.

``fit`` with ``X`` (and ``y``, ``sample_weight``) as Dask arrays keeps the data
where it lives. Everything here goes through Dask's own machinery: ``persist``
and ``compute`` use the active ``distributed.Client`` when there is one, and
Dask's default scheduler otherwise.

- :func:`check_data` validates the collections' metadata before any work on
  the cluster: two dimensions, known chunk sizes, features in one chunk, as
  many labels (and weights) as rows, numeric columns of a Dask DataFrame.
- :func:`fit_statistics` computes the classes, their counts, the total
  weight and whether ``X`` is finite on the workers, in one pass.
- :class:`DaskObjective` is the objective of :mod:`skdigits._backends` over
  the chunks: a full-batch evaluation sends ``theta`` once (scattered to every
  worker with a distributed client, a key of the graph otherwise), runs the engine on
  every chunk where it lives (in blocks of rows, as in memory), and sums the
  chunks' losses and gradients by a binary tree in a fixed order; the penalty
  is added once, in the client. A minibatch epoch visits the chunks in a
  shuffled order, fetching one chunk while the client trains on the one
  before (at most two chunks in the client), and runs shuffled minibatches
  within each.
- :func:`predict_blocks` maps a fitted estimator's prediction over the chunks,
  lazily.
"""

import functools
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from skdigits._backends import Local, Objective, get_engine, row_blocks
from skdigits._network import n_params


def is_dask_collection(obj):
    """Whether ``obj`` is a Dask collection (array, DataFrame or Series), without
    importing Dask."""
    return type(obj).__module__.split(".")[0] == "dask" and hasattr(obj, "dask")


def _active_client():
    """The active ``distributed.Client``, or None (then Dask's default
    scheduler runs the graphs)."""
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:
        return None


def _dask_array(obj, name, ndim):
    """``obj`` as a Dask array with known chunk sizes along its rows."""
    import dask.array as da

    if type(obj).__module__.startswith("dask.dataframe"):
        columns = obj.dtypes if obj.ndim == 2 else [obj.dtype]
        bad = [str(t) for t in np.atleast_1d(columns) if not _is_numeric(t)]
        if bad:
            raise ValueError(
                f"{name} is a Dask DataFrame with non-numeric columns "
                f"(dtypes {sorted(set(bad))}); select or encode the numeric "
                "features first."
            )
        obj = obj.to_dask_array(lengths=True)
    elif not isinstance(obj, da.Array):
        obj = da.asarray(obj)
    if ndim == 1 and obj.ndim == 2 and obj.shape[1] == 1:
        obj = obj[:, 0]
    if obj.ndim != ndim:
        raise ValueError(
            f"{name} must be a {ndim}-D Dask array; got {obj.ndim} dimensions."
        )
    if any(np.isnan(c) for c in obj.chunks[0]):
        raise ValueError(
            f"{name} has unknown chunk sizes (NaN), as after boolean indexing; "
            "call .compute_chunk_sizes() on it first."
        )
    return obj


def _is_numeric(dtype):
    try:
        return np.issubdtype(np.dtype(dtype), np.number) or np.dtype(dtype) == bool
    except TypeError:
        return False


def check_data(X, y, sample_weight=None):
    """``(X, y, sample_weight)`` as Dask arrays chunked alike along the rows,
    ``X`` float32 or float64 with its features in one chunk; clear errors
    before any work on the cluster."""
    import dask.array as da

    X = _dask_array(X, "X", 2)
    if X.numblocks[1] != 1:
        raise ValueError(
            f"X is chunked along its features ({X.numblocks[1]} chunks of "
            f"columns); each chunk must hold whole rows: X.rechunk({{1: -1}})."
        )
    if not np.issubdtype(X.dtype, np.number):
        raise ValueError(f"X must hold numbers; got dtype {X.dtype}.")
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    y = _dask_array(y, "y", 1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"X has {X.shape[0]} rows but y has {y.shape[0]} labels: they must "
            "have the same length."
        )
    y = y.rechunk((X.chunks[0],))
    if sample_weight is not None:
        sample_weight = _dask_array(sample_weight, "sample_weight", 1)
        if sample_weight.shape[0] != X.shape[0]:
            raise ValueError(
                f"sample_weight has {sample_weight.shape[0]} entries for the "
                f"{X.shape[0]} rows of X."
            )
        sample_weight = sample_weight.astype(np.float64).rechunk((X.chunks[0],))
    else:
        sample_weight = da.ones(X.shape[0], chunks=(X.chunks[0],))
    return X, y, sample_weight


def fit_statistics(X, y, sample_weight):
    """``(classes, counts, total weight, smallest weight, whether X is
    finite)``, computed on the workers in one pass."""
    import dask
    import dask.array as da

    classes, counts = da.unique(y, return_counts=True)
    return dask.compute(
        classes,
        counts,
        sample_weight.sum(),
        sample_weight.min(),
        da.isfinite(X).all(),
    )


def _positions(y, classes):
    return np.searchsorted(classes, y)


def _lookup(index, values):
    return values[index]


def per_row(y_index, values):
    """``values[y_index]``, lazily, chunk by chunk (a value per class)."""
    return y_index.map_blocks(
        _lookup, np.asarray(values), dtype=np.asarray(values).dtype
    )


def label_indices(y, classes):
    """``y``'s positions in ``classes``, lazily, chunk by chunk."""
    return y.map_blocks(_positions, np.asarray(classes), dtype=np.intp)


# --------------------------------------------------------------- the objective


@functools.lru_cache(maxsize=8)
def _engine(spec):
    """The engine of ``spec`` in this process (a worker's, or the client's)."""
    backend, dtype, layer_sizes, activation, out_activation = spec
    return get_engine(
        backend,
        dtype,
        layer_sizes=list(layer_sizes),
        activation=activation,
        out_activation=out_activation,
    )


def _chunk_term(X, y_index, w, theta, spec, scale):
    """The data term over one chunk, run where it lives: ``[loss, *grad]``."""
    engine = _engine(spec)
    Y = np.equal.outer(y_index, np.arange(spec[2][-1])).astype(engine.dtype)
    w = (np.asarray(w, dtype=np.float64) * scale).astype(engine.dtype)
    loss, grad = Local().map_sum(
        lambda b: engine(theta, X[b], Y[b], w[b]),
        row_blocks(X.shape[0], engine.block_rows),
    )
    out = np.empty(1 + len(theta))
    out[0] = loss
    out[1:] = 0.0 if grad is None else grad
    return out


def _add(a, b):
    return a + b


def tree_sum(parts):
    """``dask.delayed`` sum of ``parts`` by a binary tree, in a fixed order."""
    import dask

    add = dask.delayed(_add, pure=True)
    while len(parts) > 1:
        parts = [
            add(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
            for i in range(0, len(parts), 2)
        ]
    return parts[0]


class _Batch:
    """Rows of one chunk the client holds: a minibatch of a Dask fit."""

    def __init__(self, X, y_index, w, rows):
        self.X, self.y_index, self.w, self.rows = X, y_index, w, rows

    def __len__(self):
        return len(self.rows)


class DaskObjective(Objective):
    """The objective of :class:`skdigits._backends.Objective` over Dask chunks.

    ``X``, ``y_index`` and ``sample_weight`` are Dask arrays chunked alike
    along the rows, persisted where they live; ``total`` is the sum of the
    weights, computed on the workers. The engine is built in each worker
    process from its spec (a backend name and the network), once.
    """

    def __init__(
        self,
        X,
        y_index,
        sample_weight,
        *,
        total,
        l2,
        layer_sizes,
        activation,
        out_activation,
        backend,
    ):
        self.dtype = np.dtype(X.dtype)
        self.layer_sizes = list(layer_sizes)
        self.n_samples = int(X.shape[0])
        self.penalty_factor = l2 / total
        self._n_params = n_params(self.layer_sizes)
        # The engine's threads are the workers' business.
        self.multiply_adds = None
        self._spec = (
            backend,
            self.dtype.name,
            tuple(self.layer_sizes),
            activation,
            out_activation,
        )
        self._scale = self.n_samples / total
        self._X, self._y, self._w = X, y_index, sample_weight
        self._parts = list(
            zip(
                X.to_delayed().ravel(),
                y_index.to_delayed().ravel(),
                sample_weight.to_delayed().ravel(),
            )
        )
        self._sizes = [int(c) for c in X.chunks[0]]
        self._orders = {}
        self._prefetch = None
        # With a distributed client, the persisted chunks as futures: an
        # evaluation then scatters theta to every worker once and submits one
        # task per chunk and per pair of partial sums, about half the
        # scheduling time of a delayed graph (benchmarks/RESULTS.md, (g)).
        self._client = _active_client()
        self._futures = None
        if self._client is not None:
            self._futures = [tuple(self._client.compute(list(p))) for p in self._parts]

    def data_term(self, theta, rows=None, workers=1):
        import dask

        if rows is not None:
            return self._batch_term(theta, rows)
        if self._client is not None:
            return self._data_term_on_client(theta)
        theta_ = dask.delayed(theta, pure=True)
        term = dask.delayed(_chunk_term, pure=True)
        parts = [
            term(X, y, w, theta_, self._spec, self._scale) for X, y, w in self._parts
        ]
        (total,) = dask.compute(tree_sum(parts))
        return float(total[0]), total[1:].copy()

    def _data_term_on_client(self, theta):
        client = self._client
        theta_ = client.scatter(theta, broadcast=True, hash=False)
        parts = [
            client.submit(
                _chunk_term, X, y, w, theta_, self._spec, self._scale, pure=False
            )
            for X, y, w in self._futures
        ]
        # The binary tree of tree_sum, as futures.
        while len(parts) > 1:
            parts = [
                client.submit(_add, parts[i], parts[i + 1], pure=False)
                if i + 1 < len(parts)
                else parts[i]
                for i in range(0, len(parts), 2)
            ]
        total = parts[0].result()
        return float(total[0]), total[1:].copy()

    def _batch_term(self, theta, batch):
        engine = _engine(self._spec)
        rows = batch.rows
        Y = np.equal.outer(batch.y_index[rows], np.arange(self.layer_sizes[-1]))
        w = batch.w[rows] * self._scale
        return engine(
            theta,
            np.take(batch.X, rows, axis=0),
            Y.astype(engine.dtype),
            w.astype(engine.dtype),
        )

    def _fetch(self, i):
        if self._client is not None:
            return self._client.gather(list(self._futures[i]))
        import dask

        return dask.compute(*self._parts[i])

    def batches(self, batch_size, rng, shuffle):
        """Chunks in a shuffled order, shuffled minibatches within each; the
        next chunk is fetched while the client trains on this one."""
        n = len(self._parts)
        chunk_order = rng.permutation(n) if shuffle else np.arange(n)
        if self._prefetch is None:
            self._prefetch = ThreadPoolExecutor(1, thread_name_prefix="skdigits-dask")
        pending = self._prefetch.submit(self._fetch, chunk_order[0])
        for k, i in enumerate(chunk_order):
            X, y_index, w = pending.result()
            pending = (
                self._prefetch.submit(self._fetch, chunk_order[k + 1])
                if k + 1 < n
                else None
            )
            order = self._orders.setdefault(i, np.arange(self._sizes[i]))
            if shuffle:
                rng.shuffle(order)
            for start in range(0, len(order), batch_size):
                yield _Batch(X, y_index, w, order[start : start + batch_size])
            del X, y_index, w

    def close(self):
        if self._prefetch is not None:
            self._prefetch.shutdown()
            self._prefetch = None
        self._futures = None


def predict_blocks(function, X, *, n_columns=None, dtype):
    """``function`` (a fitted estimator's method on NumPy rows) mapped lazily
    over the row chunks of the Dask array ``X``: a Dask array of labels
    (``n_columns`` None) or of ``n_columns`` columns."""
    X = _dask_array(X, "X", 2)
    if X.numblocks[1] != 1:
        X = X.rechunk({1: -1})
    if n_columns is None:
        return X.map_blocks(function, drop_axis=1, dtype=dtype)
    return X.map_blocks(function, chunks=(X.chunks[0], (n_columns,)), dtype=dtype)
