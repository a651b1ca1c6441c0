import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.neural_network import MLPClassifier

from skdigits import MLPDigitClassifier
from skdigits.course import classifier_from_thetas
from skdigits.plotting import plot_digits, plot_hidden_units, plot_loss_curve

from _helpers import fit_fast


def _letter_f(height=8, width=8):
    image = np.zeros((height, width))
    image[1:-1, 2] = 1.0
    image[1, 2:-1] = 1.0
    image[height // 2, 2 : width // 2 + 1] = 0.5
    return image


def _grid(ax):
    return np.asarray(ax.images[0].get_array())


def _fit(X, y, **params):
    return fit_fast(X, y, hidden_layer_sizes=(6,), max_iter=15, **params)


@pytest.mark.parametrize("order", ["C", "F"])
def test_plot_digits_draws_upright_for_either_order(pyplot, order):
    F = _letter_f(height=6, width=5)
    images = np.stack([F, -3 * F, np.zeros_like(F)])
    X = np.stack([image.ravel(order=order) for image in images])
    ax = plot_digits(X, image_shape=(6, 5), order=order)
    grid = _grid(ax)
    # 3 images: floor(sqrt(3)) = 1 row of 3, 1-pixel borders at -1.
    assert grid.shape == (1 + 6 + 1, 1 + 3 * 6)
    np.testing.assert_array_equal(grid[1:7, 1:6], F)
    np.testing.assert_array_equal(grid[1:7, 7:12], -F)  # scaled by max |value|
    np.testing.assert_array_equal(grid[1:7, 13:18], 0.0)  # blank image: no NaN
    assert not ax.axison


def test_plot_digits_wrong_order_is_visibly_wrong(pyplot):
    F = _letter_f()
    grid = _grid(plot_digits(F.ravel(order="F")[None, :], order="C"))
    np.testing.assert_array_equal(grid[1:9, 1:9], F.T)


def test_plot_digits_accepts_images_and_sets_the_grid(pyplot):
    images = np.stack([_letter_f()] * 7)
    ax = plot_digits(images, n_cols=7, labels=list("abcdefg"))
    assert _grid(ax).shape == (10, 1 + 7 * 9)
    assert [t.get_text() for t in ax.texts] == list("abcdefg")
    _, ax = pyplot.subplots()
    assert plot_digits(images.reshape(7, -1), ax=ax) is ax
    assert _grid(ax).shape == (1 + 2 * 9, 1 + 4 * 9)  # 2 rows of ceil(7 / 2)


def test_plot_digits_bad_input(pyplot):
    with pytest.raises(ValueError, match="order must be 'C'"):
        plot_digits(np.zeros((2, 4)), order="K")
    with pytest.raises(ValueError, match="not square; pass image_shape"):
        plot_digits(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="does not match the 10 pixels"):
        plot_digits(np.zeros((2, 10)), image_shape=(3, 3))
    with pytest.raises(ValueError, match="labels has 1 entries for 2 images"):
        plot_digits(np.zeros((2, 4)), labels=[1])
    with pytest.raises(ValueError, match="n_cols must be a positive"):
        plot_digits(np.zeros((2, 4)), n_cols=0)
    with pytest.raises(ValueError, match="must hold numbers"):
        plot_digits(np.array([["a", "b"]]))


def test_plot_hidden_units_draws_the_first_layer_weights(pyplot, small_digits):
    X, y = small_digits
    clf = _fit(X, y)
    grid = _grid(plot_hidden_units(clf))
    W = clf.coefs_[0]
    assert grid.shape == (1 + 2 * 9, 1 + 3 * 9)  # 6 units: 2 rows of 3
    for unit in (0, 4):
        r, c = divmod(unit, 3)
        cell = grid[1 + 9 * r : 9 * (r + 1), 1 + 9 * c : 9 * (c + 1)]
        expected = W[:, unit].reshape(8, 8) / np.abs(W[:, unit]).max()
        np.testing.assert_allclose(cell, expected)
    # Column-major training data: the same weights, drawn transposed back.
    grid_f = _grid(plot_hidden_units(clf, order="F"))
    np.testing.assert_allclose(grid_f[1:9, 1:9], grid[1:9, 1:9].T)
    # scikit-learn's own MLP works too.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(hidden_layer_sizes=(4,), max_iter=5).fit(X, y)
    assert _grid(plot_hidden_units(mlp)).shape == (19, 19)
    with pytest.raises(NotFittedError):
        plot_hidden_units(MLPDigitClassifier())


def test_plot_loss_curve(pyplot, small_digits):
    X, y = small_digits
    clf = _fit(X, y)
    ax = plot_loss_curve(clf)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(1, 16))
    plot_loss_curve(_fit(X, y, solver="cg"), ax=ax, label="cg")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "training loss",
        "cg",
    ]
    early = _fit(X, y, early_stopping=True, n_iter_no_change=50)
    ax = plot_loss_curve(early)
    twin = [other for other in ax.figure.axes if other is not ax]
    assert len(twin) == 1
    np.testing.assert_array_equal(
        twin[0].lines[0].get_ydata(), early.validation_scores_
    )
    assert "validation accuracy" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_plot_loss_curve_needs_a_trained_estimator(pyplot):
    thetas = [np.ones((2, 3)), np.ones((2, 3))]
    with pytest.raises(ValueError, match="loss_curve_ is empty"):
        plot_loss_curve(classifier_from_thetas(thetas))
    with pytest.raises(NotFittedError):
        plot_loss_curve(MLPDigitClassifier())


def test_confusion_matrix_display_works_with_the_estimator(pyplot, small_digits):
    X, y = small_digits
    clf = _fit(X, y)
    display = ConfusionMatrixDisplay.from_estimator(clf, X, y)
    assert display.confusion_matrix.shape == (3, 3)
    assert display.confusion_matrix.sum() == len(y)


def test_missing_matplotlib_names_the_plot_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "skdigits\[plot\]"'):
        plot_digits(np.zeros((1, 4)))
