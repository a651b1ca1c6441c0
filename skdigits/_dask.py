"""Dask arrays in: the chunks are the objective's blocks, the workers its executor.

``fit`` with ``X`` (and ``y``, ``sample_weight``) as Dask arrays keeps the data
where it lives. Everything here goes through Dask's own machinery: ``persist``
and ``compute`` use the active ``distributed.Client`` when there is one, and
Dask's default scheduler otherwise.

- :func:`check_data` validates the collections' metadata before any work on
  the cluster: two dimensions, known chunk sizes, features in one chunk, as
  many labels (and weights) as rows, numeric columns of a Dask DataFrame.
- :func:`fit_statistics` computes the classes, their counts, the total
  weight and the largest magnitude in ``X`` (non-finite if ``X`` is) on the
  workers, in one pass.
- :class:`DaskObjective` is the objective of :mod:`skdigits._backends` over
  the chunks: a full-batch evaluation sends ``theta`` once (scattered to every
  worker with a distributed client, a key of the graph otherwise), runs the engine on
  every chunk where it lives (in blocks of rows, as in memory), and sums the
  chunks' losses and gradients by a binary tree in a fixed order; the penalty
  is added once, in the client. A minibatch epoch visits the chunks in a
  shuffled order and runs shuffled minibatches within each, on the worker
  that holds the chunk: one task per chunk, chained, which takes ``theta``
  and the optimizer's moments from the task before and hands them on. No
  chunk comes to the client, and the whole epoch is submitted at once, so
  the client does not wait between chunks.
- :func:`holdout_split` holds out the in-memory fit's early-stopping rows
  (only the labels come to the client to choose them), and
  :class:`DaskEarlyStopping` scores them where they live.
- :func:`predict_blocks` maps a fitted estimator's prediction over the chunks,
  lazily.
"""

import functools

import numpy as np

from skdigits._backends import Objective, get_engine
from skdigits._monitor import EarlyStopping, check_split_weights, holdout_rows
from skdigits._network import forward_logits, layer_views, n_params
from skdigits._threads import one_blas_thread


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


def aligned(block):
    """``block``, copied if its memory is not aligned for its dtype.

    Arrays that cross the network can arrive at odd addresses (a scattered
    array did, at an address 33 bytes past a multiple of 64), and NumPy runs
    its slow element-wise loops on misaligned memory: ``np.take`` of 200 rows
    of a float32 chunk measured 13 ms instead of 0.16 ms. Chunks computed on
    the workers are aligned, and pass through.
    """
    return np.require(block, requirements="A")


def fit_statistics(X, y, sample_weight):
    """``(classes, counts, total weight, smallest weight, max |x|)``,
    computed on the workers in one pass; ``max |x|`` is NaN or infinite when
    ``X`` holds a NaN or an infinity."""
    import dask
    import dask.array as da

    classes, counts = da.unique(y, return_counts=True)
    return dask.compute(
        classes,
        counts,
        sample_weight.sum(),
        sample_weight.min(),
        da.fabs(X).max(),
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


def _chunk_objective(X, y_index, w, spec, of, l2):
    """The in-memory objective of one chunk, a part of the data set ``of``
    (its rows and total weight), built where the chunk lives."""
    layer_sizes = spec[2]
    X, y_index, w = aligned(X), aligned(y_index), aligned(w)
    Y = np.equal.outer(y_index, np.arange(layer_sizes[-1]))
    return Objective(_engine(spec), X, Y, w, l2=l2, layer_sizes=layer_sizes, of=of)


def _chunk_term(X, y_index, w, theta, spec, of):
    """The data term over one chunk, run where it lives: ``[loss, *grad]``."""
    loss, grad = _chunk_objective(X, y_index, w, spec, of, 0.0).data_term(theta)
    out = np.empty(1 + len(theta))
    out[0] = loss
    out[1:] = 0.0 if grad is None else grad
    return out


def _chunk_descend(X, y_index, w, carry, order, batch_size, method, spec, of, l2):
    """Minibatch steps over one chunk, run where it lives: the batches of
    ``batch_size`` rows of ``order`` (the chunk's rows, shuffled in the
    client). ``carry`` is ``(theta, optimizer state, summed loss)`` after the
    chunk before; returns it after this one."""
    theta, state, total = carry
    theta = np.array(theta, dtype=np.float64)
    state = {k: np.copy(v) for k, v in state.items()}
    objective = _chunk_objective(X, y_index, w, spec, of, l2)
    batches = (order[i : i + batch_size] for i in range(0, len(order), batch_size))
    with one_blas_thread():
        total += objective.steps(theta, method, state, batches, batch_size)
    return theta, state, total


def _chunk_hits(X, y, w, theta, layer_sizes, activation, classes):
    """``[weight of the rows predicted right, total weight]`` of one chunk of
    the held-out rows, run where it lives."""
    blocks = layer_views(theta, layer_sizes)
    logits = forward_logits(
        aligned(X), [B[1:] for B in blocks], [B[0] for B in blocks], activation
    )
    w = np.asarray(w, dtype=np.float64)
    correct = classes[np.argmax(logits, axis=1)] == y
    return np.array([np.dot(correct, w), np.sum(w)])


def _add(a, b):
    return a + b


def _pairwise(parts, add):
    """``parts`` summed by a binary tree in a fixed order, through ``add``."""
    while len(parts) > 1:
        parts = [
            add(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
            for i in range(0, len(parts), 2)
        ]
    return parts[0]


def tree_sum(parts):
    """``dask.delayed`` sum of ``parts`` by a binary tree, in a fixed order."""
    import dask

    return _pairwise(parts, dask.delayed(_add, pure=True))


class _Chunks:
    """The chunks of Dask arrays chunked alike along the rows, where they live,
    and one function mapped over them and summed.

    With a distributed client the persisted chunks are held as futures: a map
    then scatters ``theta`` to every worker once and submits one task per
    chunk and per pair of partial sums, about half the scheduling time of a
    delayed graph (benchmarks/RESULTS.md, (g)). Otherwise the map is a delayed
    graph computed by Dask's default scheduler.
    """

    def __init__(self, *arrays):
        self.client = _active_client()
        self.sizes = [int(c) for c in arrays[0].chunks[0]]
        self.parts = list(zip(*(a.to_delayed().ravel() for a in arrays)))
        if self.client is not None:
            self.parts = [tuple(self.client.compute(list(p))) for p in self.parts]

    def __len__(self):
        return len(self.parts)

    def map_sum(self, fn, theta, *args):
        """``sum_k fn(*chunk_k, theta, *args)``, each term where its chunk lives."""
        import dask

        client = self.client
        if client is None:
            theta_ = dask.delayed(theta, pure=True)
            fn = dask.delayed(fn, pure=True)
            total = tree_sum([fn(*part, theta_, *args) for part in self.parts])
            return dask.compute(total)[0]
        theta_ = client.scatter(theta, broadcast=True, hash=False)
        parts = [client.submit(fn, *p, theta_, *args, pure=False) for p in self.parts]

        def add(a, b):
            return client.submit(_add, a, b, pure=False)

        return _pairwise(parts, add).result()

    def chain(self, fn, carry, visit, *args):
        """``carry = fn(*chunk_i, carry, extra_i, *args)`` for ``(i, extra_i)``
        in ``visit``, in order, each where its chunk lives; the last carry."""
        import dask

        client = self.client
        if client is None:
            fn = dask.delayed(fn, pure=True)
            for i, extra in visit:
                carry = fn(*self.parts[i], carry, extra, *args)
            return dask.compute(carry)[0]
        futures = []
        for i, extra in visit:
            carry = client.submit(fn, *self.parts[i], carry, extra, *args, pure=False)
            futures.append(carry)
        try:
            return carry.result()
        except BaseException:  # Ctrl-C included: stop the rest of the chain
            client.cancel(futures)
            raise

    def release(self):
        self.parts = []


class DaskObjective(Objective):
    """The objective of :class:`skdigits._backends.Objective` over Dask chunks.

    ``X``, ``y_index`` and ``sample_weight`` are Dask arrays chunked alike
    along the rows, persisted where they live; ``total`` is the sum of the
    weights, computed on the workers. The engine is built in each worker
    process from its spec (a backend name and the network), once.

    A full batch (``objective(theta)``) is evaluated on the workers; an epoch
    of minibatches runs there too (:meth:`descend`). ``objective(theta,
    rows)`` on single minibatches is not offered: it would gather their rows
    into the client.
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
        self._l2 = l2
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
        self._of = (self.n_samples, float(total))
        self._chunks = _Chunks(X, y_index, sample_weight)
        self._starts = np.cumsum([0, *self._chunks.sizes[:-1]])
        self._orders = {}

    def data_term(self, theta, rows=None, workers=1, work=None):
        if rows is not None:
            raise NotImplementedError(
                "A Dask objective runs minibatches where their chunk lives: "
                "use descend()."
            )
        total = self._chunks.map_sum(_chunk_term, theta, self._spec, self._of)
        return float(total[0]), total[1:].copy()

    def plan(self, rng, shuffle):
        """One epoch's visit: ``[(chunk, its rows in order), ...]``, the chunks
        in an order shuffled with ``rng``, and within each its rows shuffled
        from the last epoch's order when ``shuffle``."""
        n = len(self._chunks)
        chunk_order = rng.permutation(n) if shuffle else np.arange(n)
        visit = []
        for i in chunk_order:
            order = self._orders.setdefault(i, np.arange(self._chunks.sizes[i]))
            if shuffle:
                rng.shuffle(order)
            visit.append((int(i), order.copy()))
        return visit

    def batches(self, batch_size, rng, shuffle):
        """The epoch's minibatches as row indices of the whole ``X``: those of
        :meth:`plan`, each inside one chunk."""
        for i, order in self.plan(rng, shuffle):
            for start in range(0, len(order), batch_size):
                yield self._starts[i] + order[start : start + batch_size]

    def descend(self, theta, method, state, batch_size, rng, shuffle):
        """One epoch of minibatch steps, each chunk's on the worker that holds
        it: ``theta`` and the optimizer's state travel from chunk to chunk
        (one task per chunk, chained), the data stays."""
        new_theta, new_state, total = self._chunks.chain(
            _chunk_descend,
            (theta, state, 0.0),
            self.plan(rng, shuffle),
            batch_size,
            method,
            self._spec,
            self._of,
            self._l2,
        )
        theta[...] = new_theta
        for key, value in new_state.items():
            if isinstance(state.get(key), np.ndarray):
                state[key][...] = value
            else:
                state[key] = value
        return float(total)

    def close(self):
        self._chunks.release()


class DaskEarlyStopping(EarlyStopping):
    """:class:`skdigits._monitor.EarlyStopping` on held-out rows that are Dask
    arrays: scored where they live, after every iteration."""

    def __init__(self, X, y, sample_weight, **kwargs):
        super().__init__(X, y, sample_weight, **kwargs)
        self._chunks = _Chunks(X, y, sample_weight)

    def score(self, theta):
        hits, total = self._chunks.map_sum(
            _chunk_hits,
            np.asarray(theta, dtype=np.float64),
            tuple(self.layer_sizes),
            self.activation,
            np.asarray(self.classes),
        )
        return float(hits / total)


def holdout_split(X, y, y_index, w, *, fraction, rng):
    """The in-memory fit's split (:func:`skdigits._monitor.holdout_rows`) of
    Dask arrays: only the labels come to the client to choose the rows, which
    are taken and persisted on the workers. ``((X, y_index, w) to fit, (X, y,
    w) to score, total weight to fit)``."""
    import dask

    train, val = holdout_rows(y.compute(), fraction=fraction, rng=rng)
    # Sorted, each chunk's rows stay in one chunk.
    train, val = np.sort(train), np.sort(val)
    fit, held = dask.persist(
        (X[train], y_index[train], w[train]), (X[val], y[val], w[val])
    )
    fit_total, val_total = dask.compute(fit[2].sum(), held[2].sum())
    check_split_weights(fit_total, val_total)
    return fit, held, float(fit_total)


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
