"""The objective: a data term summed over row blocks by an engine, plus one penalty.

``J(theta) = sum_blocks engine(theta, block) / S + lambda / (2 S) ||W||^2``

- An **engine** (:class:`Engine`; the NumPy one in :mod:`skdigits._backends._numpy`,
  the Keras one in :mod:`skdigits._backends._keras`) evaluates the data term
  over one block of rows: the weighted sum of the per-sample losses and of
  their gradients, in float64. It knows nothing of the penalty, of the total
  weight or of where it runs.
- An **executor** maps the engine over the blocks and sums the results in a
  fixed order: :class:`Local` runs them in the calling thread, or, given
  ``workers > 1``, on that many Python threads with one BLAS thread each
  (the blocks and their order depend on the number of rows alone, so the
  result is the same bits on any number of workers). The Dask executor of
  :mod:`skdigits._dask` runs them where the chunks live.
- :class:`Objective` holds the blocks, the total weight ``S`` and the
  penalty's factor, computed once per fit, and adds the penalty once. The
  optimizer driver calls it as ``objective(theta, rows=None, workers=1)``, and
  its minibatch loop over ``objective.batches(batch_size, rng, shuffle)``.

The weights handed to an engine are the sample weights divided by their mean,
so that float32 arithmetic neither overflows nor underflows whatever their
scale; ``S`` is then the number of rows.
"""

import collections
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from skdigits._network import add_penalty, n_params

BACKENDS = ("numpy", "keras")


@runtime_checkable
class Engine(Protocol):
    """The data term of a network over one block of rows.

    ``engine(theta, X, Y, w, out=None)`` returns ``(loss, grad)``: ``sum_i
    w_i l_i`` over the block's rows as a float, and its gradient with respect
    to the float64 vector ``theta`` as a new float64 array of ``theta``'s
    shape, or written into ``out`` (then returned) when given. ``X`` is a
    block of rows (a dense view or a CSR matrix), ``Y`` their one-hot targets
    and ``w`` their weights, both in the engine's ``dtype``.
    """

    #: Precision of the arithmetic (float32 or float64).
    dtype: np.dtype
    #: Rows per block of a full batch.
    block_rows: int
    #: Whether blocks may run concurrently in Python threads (False when the
    #: engine runs its own thread pool, as TensorFlow does).
    threadable: bool

    def __call__(self, theta, X, Y, w, out=None): ...


def get_engine(name, dtype, *, layer_sizes, activation, out_activation):
    """The engine of the backend called ``name``."""
    if name == "numpy":
        from skdigits._backends._numpy import NumpyEngine as engine
    elif name == "keras":
        from skdigits._keras import require_keras

        require_keras("backend='keras'")
        from skdigits._backends._keras import KerasEngine as engine
    else:
        raise ValueError(f"Unknown backend {name!r}; expected one of {BACKENDS}.")
    return engine(
        dtype,
        layer_sizes=layer_sizes,
        activation=activation,
        out_activation=out_activation,
    )


def row_blocks(n_rows, max_rows):
    """Slices of ``range(n_rows)`` in blocks of equal sizes (within one row),
    at most ``max_rows`` each: they depend on the numbers alone."""
    if n_rows == 0:
        return []
    size = -(-n_rows // -(-n_rows // max_rows))  # ceil(n / number of blocks)
    return [slice(a, min(n_rows, a + size)) for a in range(0, n_rows, size)]


class Local:
    """Runs the blocks in this process: in the calling thread, or on a pool of
    ``workers`` Python threads (BLAS on one thread each, as the driver set it).

    ``map_sum(fn, blocks, workers)`` returns ``(sum of the losses, sum of the
    gradients)`` of ``fn(block)``, added in the blocks' order whatever the
    number of workers. A pool is made on first use and kept until
    :meth:`close`; at most ``2 * workers`` results wait to be added.
    """

    def __init__(self):
        self._pools = {}

    def map_sum(self, fn, blocks, workers=1):
        loss, grad = 0.0, None

        def add(result):
            nonlocal loss, grad
            part_loss, part_grad = result
            loss += part_loss
            if grad is None:
                grad = part_grad
            else:
                grad += part_grad

        workers = min(workers, len(blocks))
        if workers <= 1:
            for block in blocks:
                add(fn(block))
            return loss, grad
        if workers not in self._pools:
            self._pools[workers] = ThreadPoolExecutor(
                workers, thread_name_prefix="skdigits-block"
            )
        pool, pending = self._pools[workers], collections.deque()
        for block in blocks:
            if len(pending) == 2 * workers:
                add(pending.popleft().result())
            pending.append(pool.submit(fn, block))
        while pending:
            add(pending.popleft().result())
        return loss, grad

    def close(self):
        for pool in self._pools.values():
            pool.shutdown()
        self._pools.clear()


class Objective:
    """The regularised objective of a network on in-memory data.

    ``J(theta) = sum_i s_i l_i / S + l2 / (2 S) * ||W||^2`` with ``S =
    sum_i s_i`` and ``||W||^2`` the squared non-bias weights. ``X`` is used in
    place (no copy of dense data): a full batch walks it in blocks of
    ``engine.block_rows`` rows, views. ``objective(theta, rows)`` is the
    unbiased minibatch estimate: the data term over ``rows`` scaled by
    ``n_samples / len(rows)``, plus the full penalty. With ``of=(n, S)`` the
    rows are one part of a data set of ``n`` rows and total weight ``S``
    (a Dask chunk): weights are relative to that set's mean and the penalty
    is that set's.

    Attributes
    ----------
    n_samples : int
        Number of rows.

    dtype : numpy.dtype
        Precision of the engine's arithmetic.

    multiply_adds : int or None
        Multiply-adds of the matrix products of one full evaluation, for the
        driver's choice of workers; None when the blocks cannot run in
        threads (the engine runs its own thread pool).

    penalty_factor : float
        ``l2 / S``: the penalty is ``penalty_factor / 2 * ||W||^2``.
    """

    def __init__(self, engine, X, Y, sample_weight, *, l2, layer_sizes, of=None):
        self.engine = engine
        self.dtype = np.dtype(engine.dtype)
        self.layer_sizes = list(layer_sizes)
        self.n_samples = X.shape[0]
        self._X = X.tocsr() if sp.issparse(X) else X
        self._Y = np.asarray(Y, dtype=self.dtype)
        sample_weight = np.asarray(sample_weight, dtype=np.float64)
        # The data set these rows are part of: its number of rows and total
        # weight (a Dask chunk's objective is one part of the whole).
        n, total = of if of is not None else (self.n_samples, np.sum(sample_weight))
        total = float(total)
        # Weights relative to their mean: S becomes the number of rows.
        self._w = (sample_weight * (n / total)).astype(self.dtype)
        self.penalty_factor = l2 / total
        self._n_params = n_params(self.layer_sizes)
        self._blocks = row_blocks(self.n_samples, engine.block_rows)
        self._executor = Local()
        self._order = None
        self.multiply_adds = (
            self.n_samples * _multiply_adds_per_row(self.layer_sizes)
            if engine.threadable
            else None
        )

    def _check(self, theta):
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self._n_params,):
            raise ValueError(
                f"theta has shape {theta.shape}; this network has "
                f"{self._n_params} parameters."
            )
        return theta

    def data_term(self, theta, rows=None, workers=1, work=None):
        """``(sum_i w_i l_i, its gradient)`` over all rows, or over ``rows``,
        the weights relative to their mean; ``theta`` a float64 vector.
        ``work`` (from :meth:`descend`) holds the buffers a minibatch's rows
        and gradient are written into."""
        X, Y, w = self._X, self._Y, self._w
        if rows is not None:
            rows = np.asarray(rows)
            if sp.issparse(X):
                X = X[rows]
            else:
                out = None if work is None else work["X"][: len(rows)]
                X = np.take(X, rows, axis=0, out=out)
            out = None if work is None else work["grad"]
            return self.engine(theta, X, Y[rows], w[rows], out=out)

        def block(part):
            return self.engine(theta, X[part], Y[part], w[part])

        return self._executor.map_sum(block, self._blocks, workers)

    def __call__(self, theta, rows=None, workers=1):
        return self._evaluate(theta, rows, workers)

    def _evaluate(self, theta, rows, workers, work=None):
        theta = self._check(theta)
        loss, grad = self.data_term(theta, rows, workers, work)
        # The data term's mean over the rows evaluated: the full batch's, or
        # the minibatch's unbiased estimate of it.
        scale = 1.0 / (self.n_samples if rows is None else len(rows))
        loss *= scale
        grad *= scale
        loss += add_penalty(theta, grad, self.layer_sizes, self.penalty_factor)
        return float(loss), grad

    def batches(self, batch_size, rng, shuffle):
        """One epoch's minibatches: row indices, in an order shuffled with
        ``rng`` (a ``RandomState``) from the last epoch's when ``shuffle``."""
        if self._order is None:
            self._order = np.arange(self.n_samples)
        if shuffle:
            rng.shuffle(self._order)
        for start in range(0, self.n_samples, batch_size):
            yield self._order[start : start + batch_size]

    def descend(self, theta, method, state, batch_size, rng, shuffle):
        """One epoch of minibatch steps, in place on ``theta`` and ``state``:
        :meth:`steps` over :meth:`batches`. Returns the batches' losses
        weighted by their rows, summed."""
        batches = self.batches(batch_size, rng, shuffle)
        return self.steps(theta, method, state, batches, batch_size)

    def steps(self, theta, method, state, batches, batch_size):
        """``method.update(theta, grad, state)`` after every batch of
        ``batches`` (row indices, at most ``batch_size`` each), in place;
        returns the batches' losses weighted by their rows, summed.

        The batches' rows and gradients go to buffers made once per call
        (``method.update`` may use the gradient as its scratch): no memory
        allocated per step. That matters on Dask's workers, whose allocator
        hands large blocks back to the system at once (``distributed``'s
        nanny sets ``MALLOC_TRIM_THRESHOLD_``), so a fresh array costs page
        faults at every step.
        """
        work = None
        if not sp.issparse(self._X):
            rows = min(batch_size, self.n_samples)
            work = {
                "X": np.empty((rows, self._X.shape[1]), self._X.dtype),
                "grad": np.empty(self._n_params),
            }
        total = 0.0
        for rows in batches:
            loss, grad = self._evaluate(theta, rows, 1, work)
            total += loss * len(rows)
            method.update(theta, grad, state)
        return total

    def close(self):
        """Stop the worker threads, if any."""
        self._executor.close()


def _multiply_adds_per_row(layer_sizes):
    """Forward and gradient products of every layer, and the error propagated
    back through every layer but the first, per row."""
    return sum(
        2 * (n_in + 1) * n_out + (i > 0) * n_in * n_out
        for i, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]))
    )


def make_objective(
    X,
    Y,
    sample_weight,
    *,
    l2,
    layer_sizes,
    activation,
    out_activation,
    backend="numpy",
):
    """The :class:`Objective` of a network on ``(X, Y, sample_weight)``,
    computed by ``backend``'s engine in the dtype of ``X``; ``l2`` is the
    penalty's strength (the course's lambda)."""
    engine = get_engine(
        backend,
        X.dtype,
        layer_sizes=layer_sizes,
        activation=activation,
        out_activation=out_activation,
    )
    return Objective(engine, X, Y, sample_weight, l2=l2, layer_sizes=layer_sizes)
