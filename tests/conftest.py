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


def _assert_clear_predictions_agree(
    pred_a, pred_b, outputs, *, margin=1e-4, clear=0.99
):
    """Two code paths predict the same class on every row where the choice is clear.

    ``outputs`` (n_samples, n_classes) are one path's scores (probabilities,
    activations or logits). Where a row's two largest scores are within
    ``margin`` of each other, which one wins depends on the last bits of the
    arithmetic (BLAS kernel, float32 against float64, summation order), so such
    rows are not compared; at least a fraction ``clear`` of the rows must be
    compared, so that the check does not become vacuous.
    """
    outputs = np.asarray(outputs)
    top2 = np.sort(outputs, axis=1)[:, -2:] if outputs.shape[1] > 1 else None
    if top2 is None:
        is_clear = np.ones(len(outputs), dtype=bool)
    else:
        is_clear = top2[:, 1] - top2[:, 0] > margin
    assert is_clear.mean() >= clear, f"only {is_clear.mean():.3f} of the rows are clear"
    np.testing.assert_array_equal(
        np.asarray(pred_a)[is_clear], np.asarray(pred_b)[is_clear]
    )


@pytest.fixture(scope="session")
def assert_clear_predictions_agree():
    """:func:`_assert_clear_predictions_agree`, for tests that compare code paths."""
    return _assert_clear_predictions_agree


# Learners' exercise 4 programs graded by tests/test_grade_corpus.py: not test
# modules, and their top-level scripts load data files that are absent.
collect_ignore = ["grade_corpus"]
