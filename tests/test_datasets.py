import numpy as np
import pytest

from skdigits.datasets import load_digits


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
