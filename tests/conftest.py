import numpy as np
import pytest

from skdigits.datasets import load_digits


@pytest.fixture(scope="session")
def digits8():
    """scikit-learn's 8x8 digits in [0, 1]."""
    return load_digits(size=8, return_X_y=True)


@pytest.fixture(scope="session")
def digits20():
    """The bundled digits resampled to the course's 20x20 layout."""
    return load_digits(size=20, return_X_y=True)


@pytest.fixture(scope="session")
def small_digits(digits8):
    """Three classes of the 8x8 digits: quick fits."""
    X, y = digits8
    mask = y < 3
    return X[mask], y[mask]


@pytest.fixture
def rng():
    return np.random.RandomState(0)


@pytest.fixture
def pyplot():
    """matplotlib's pyplot on the Agg backend; closes the figures afterwards."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")
