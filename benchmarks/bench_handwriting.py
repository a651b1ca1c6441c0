"""Accuracy on digits we drew ourselves: resized naively vs normalised as MNIST.

The model is the one ``python -m skdigits predict`` uses by default: the
course's network (400-25-10, logistic units, alpha=1, L-BFGS, 200 iterations,
``random_state=0``) trained on the 5000 real MNIST digits of
``load_mnist_5k()``. It reads these images, none of which it saw:

- ``strokes``: digits drawn as pen strokes with Pillow's ImageDraw on a
  200 x 200 canvas, in varied styles: ten stroke templates (two for 1, 4 and
  7; curves as splines, 1, 4 and 7 with corners), each jittered, slanted,
  rotated, squeezed, placed anywhere at any size, drawn with pens 3 to 16
  pixels wide, dark on white, white on black, grey pencil on off-white paper
  or black on a transparent canvas;
- ``sklearn 8x8``: scikit-learn's 1797 bundled digits (43 other writers),
  enlarged to 200 x 200 like a photo (bicubic), dark ink on white;
- ``photo-like``: the strokes again, small (30 to 70 pixels, with the same
  pens: some are blobs) in a corner of a 300 x 300 picture with uneven
  lighting and noise; and ``from afar``: the 200 x 200 canvas shrunk to 60 to
  120 pixels, pen and all, in such a picture;
- ``mnist hold-out``: a control. The model is retrained on 4000 of the 5000
  MNIST digits, and the other 1000, already normalised, are read as given
  and after ``load_images`` normalised them once more (it should change
  nothing).

"MNIST's normalisation alone" is ``load_images`` without its last step,
the widening of strokes thinner than MNIST's.

"naive" resizes the whole picture to 20 x 20 (Pillow's antialiased
``resize``, ink made white on black and scaled to [0, 1] as MNIST's: the
naive reader is given the right polarity), unrolled as the course's data;
"normalised" is ``skdigits.datasets.load_images``.

Run: ``python benchmarks/bench_handwriting.py [--per-digit 30]``
"""

import argparse
import time
import warnings

import numpy as np
from _common import print_environment
from PIL import Image, ImageDraw
from sklearn.exceptions import ConvergenceWarning

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_digits, load_images, load_mnist_5k

# Stroke templates in a unit box (x right, y down): a digit is a list of
# strokes, a stroke a list of control points joined by a Catmull-Rom spline
# (by straight lines for the digits in CORNERS).
CORNERS = (1, 4, 7)
_ELLIPSE = [
    (0.5 + 0.32 * np.sin(t), 0.5 - 0.45 * np.cos(t))
    for t in np.linspace(0, 2 * np.pi, 13)
]
TEMPLATES = {
    0: [[_ELLIPSE]],
    1: [
        [[(0.5, 0.05), (0.5, 0.95)]],
        [[(0.3, 0.22), (0.55, 0.05), (0.55, 0.95)]],
    ],
    2: [
        [
            [
                (0.2, 0.28),
                (0.3, 0.1),
                (0.5, 0.04),
                (0.72, 0.12),
                (0.78, 0.32),
                (0.62, 0.55),
                (0.2, 0.95),
                (0.85, 0.94),
            ]
        ]
    ],
    3: [
        [
            [
                (0.2, 0.12),
                (0.45, 0.03),
                (0.72, 0.12),
                (0.7, 0.33),
                (0.45, 0.47),
                (0.74, 0.6),
                (0.78, 0.82),
                (0.5, 0.97),
                (0.2, 0.88),
            ]
        ]
    ],
    4: [
        [[(0.62, 0.95), (0.62, 0.05), (0.15, 0.65), (0.85, 0.65)]],
        [[(0.3, 0.05), (0.18, 0.6), (0.82, 0.6)], [(0.62, 0.3), (0.62, 0.97)]],
    ],
    5: [
        [
            [
                (0.78, 0.05),
                (0.3, 0.05),
                (0.26, 0.45),
                (0.55, 0.38),
                (0.77, 0.58),
                (0.74, 0.84),
                (0.48, 0.97),
                (0.2, 0.87),
            ]
        ]
    ],
    6: [
        [
            [
                (0.7, 0.04),
                (0.45, 0.24),
                (0.27, 0.52),
                (0.25, 0.8),
                (0.45, 0.97),
                (0.7, 0.88),
                (0.74, 0.68),
                (0.52, 0.54),
                (0.28, 0.64),
            ]
        ]
    ],
    7: [
        [[(0.15, 0.06), (0.85, 0.06), (0.4, 0.95)]],
        [[(0.15, 0.06), (0.85, 0.06), (0.4, 0.95)], [(0.35, 0.5), (0.78, 0.5)]],
    ],
    8: [
        [
            [
                (0.55, 0.04),
                (0.28, 0.14),
                (0.3, 0.35),
                (0.5, 0.48),
                (0.74, 0.63),
                (0.72, 0.88),
                (0.5, 0.97),
                (0.27, 0.88),
                (0.26, 0.63),
                (0.5, 0.48),
                (0.7, 0.34),
                (0.72, 0.13),
                (0.55, 0.04),
            ]
        ]
    ],
    9: [
        [
            [
                (0.74, 0.28),
                (0.6, 0.06),
                (0.38, 0.06),
                (0.26, 0.26),
                (0.4, 0.45),
                (0.62, 0.42),
                (0.74, 0.28),
                (0.72, 0.6),
                (0.66, 0.96),
            ]
        ]
    ],
}


def spline(points, n=24):
    """Points along a Catmull-Rom spline through ``points``."""
    p = np.asarray(points, dtype=float)
    if len(p) == 2:
        return p
    p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    t = np.linspace(0, 1, n, endpoint=False)[:, None]
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        out.append(
            0.5
            * (
                2 * p1
                + (-p0 + p2) * t
                + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
            )
        )
    out.append(p[-2][None, :])
    return np.vstack(out)


def draw_digit(digit, rng, canvas=200, size_range=(60, 180), style=None):
    """One digit drawn as pen strokes on a ``canvas`` x ``canvas`` picture."""
    strokes = TEMPLATES[digit][rng.integers(len(TEMPLATES[digit]))]
    height = rng.uniform(*size_range)
    width = height * rng.uniform(0.55, 1.0)
    shear, angle = rng.uniform(-0.35, 0.25), rng.uniform(-0.2, 0.2)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    )
    top = rng.uniform(5, canvas - height - 5)
    left = rng.uniform(5 + 0.35 * height, max(6 + 0.35 * height, canvas - width - 5))
    pen = int(rng.integers(3, 17))
    style = style or rng.choice(["dark", "light", "pencil", "transparent"])
    paper, ink, mode = {
        "dark": ((255, 255, 255, 255), (20, 20, 20, 255), "RGB"),
        "light": ((0, 0, 0, 255), (255, 255, 255, 255), "L"),
        "pencil": ((235, 230, 215, 255), (110, 110, 120, 255), "RGB"),
        "transparent": ((0, 0, 0, 0), (0, 0, 0, 255), "RGBA"),
    }[style]
    picture = Image.new("RGBA", (canvas, canvas), paper)
    draw = ImageDraw.Draw(picture)
    for stroke in strokes:
        p = np.asarray(stroke) + rng.normal(0, 0.025, (len(stroke), 2))
        p = (p if digit in CORNERS else spline(p)) - 0.5
        p[:, 0] = p[:, 0] * width - shear * p[:, 1] * height
        p[:, 1] = p[:, 1] * height
        p = p @ rotation.T + [left + width / 2, top + height / 2]
        xy = [tuple(q) for q in p]
        draw.line(xy, fill=ink, width=pen, joint="curve")
        for x, y in (xy[0], xy[-1]):  # round caps
            r = pen / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=ink)
    return picture.convert(mode) if mode != "RGBA" else picture


def photo_like(digit, rng, from_afar=False):
    """A small digit in a 300 x 300 picture with a lighting gradient and noise.

    Drawn small (30 to 70 pixels tall, with the same 3 to 16 pixel pens: some
    are blobs), or ``from_afar``: a 200 x 200 canvas as ``draw_digit`` draws
    it, shrunk to 60 to 120 pixels a side, pen and all, as a camera far away
    would.
    """
    if from_afar:
        side = int(rng.integers(60, 121))
        canvas = draw_digit(digit, rng, style="dark").convert("L")
        small = canvas.resize((side, side), Image.LANCZOS)
    else:
        side = 80
        small = draw_digit(digit, rng, canvas=80, size_range=(30, 70), style="dark")
    grey = np.asarray(small.convert("L"), dtype=float)
    field = np.full((300, 300), 255.0)
    top, left = rng.integers(0, 300 - side, size=2)
    field[top : top + side, left : left + side] = grey
    yy, xx = np.mgrid[0:300, 0:300] / 300
    light = 1.0 - 0.25 * (rng.uniform() * xx + rng.uniform() * yy)
    field = field * light + rng.normal(0, 6, field.shape)
    return Image.fromarray(np.clip(field, 0, 255).astype(np.uint8), mode="L")


def naive(pictures):
    """Each whole picture resized to 20 x 20, ink white on black in [0, 1]."""
    rows = []
    for picture in pictures:
        if picture.mode == "RGBA":
            grey = np.asarray(picture.getchannel("A"), dtype=float)
        else:
            grey = np.asarray(picture.convert("L"), dtype=float)
            if np.median(grey) > 127:  # dark ink on light paper
                grey = 255.0 - grey
        small = Image.fromarray(grey.astype(np.uint8)).resize((20, 20), Image.LANCZOS)
        rows.append(np.asarray(small, dtype=float).ravel(order="F") / 255.0)
    return np.array(rows)


def normalised(pictures):
    """``load_images`` of the pictures, as arrays (the several-digits warning
    is counted, not shown)."""
    arrays = [np.asarray(p) for p in pictures]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X = load_images(arrays).data
    return X, len(caught)


def without_thickening(pictures):
    """``load_images``' steps without the widening of thin strokes: MNIST's
    normalisation alone (crop, fit into 20 x 20, centre by mass)."""
    from skdigits._images import ink_map, mnist_normalise
    from skdigits._resample import mnist_to_course, unroll_images

    fields = [
        mnist_normalise(ink_map(np.asarray(p), "x"), thicken=False) for p in pictures
    ]
    return unroll_images(mnist_to_course(np.array(fields) * 255.0, 20), "F")


def fit(X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPDigitClassifier(random_state=0).fit(X, y)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-digit", type=int, default=30)
    args = parser.parse_args()
    print_environment("Your own handwriting: naive resizing vs MNIST's normalisation")
    start = time.perf_counter()
    X, y = load_mnist_5k(return_X_y=True)
    clf = fit(X, y)
    rng = np.random.default_rng(0)
    digits = np.repeat(np.arange(10), args.per_digit)
    sets = {
        "strokes (200 x 200 canvas)": [draw_digit(d, rng) for d in digits],
        "photo-like (small, uneven light, noise)": [photo_like(d, rng) for d in digits],
        "photo-like, a canvas from afar": [
            photo_like(d, rng, from_afar=True) for d in digits
        ],
    }
    sk = load_digits(size=8)
    sk_images, sk_target = sk.images, sk.target
    sets["sklearn 8x8 enlarged (1797)"] = [
        Image.fromarray((255 - 255 * img).astype(np.uint8)).resize(
            (200, 200), Image.BICUBIC
        )
        for img in sk_images
    ]
    targets = {name: digits for name in sets}
    targets["sklearn 8x8 enlarged (1797)"] = sk_target
    print()
    print(
        "| images | n | naive 20x20 | MNIST's normalisation alone | load_images "
        "(+ thin strokes widened) | several-digit warnings |"
    )
    print("|---|---|---|---|---|---|")
    for name, pictures in sets.items():
        target = targets[name]
        acc_naive = clf.score(naive(pictures), target)
        Xn, n_warned = normalised(pictures)
        acc_norm = clf.score(Xn, target)
        acc_thin = clf.score(without_thickening(pictures), target)
        print(
            f"| {name} | {len(target)} | {acc_naive:.1%} | {acc_thin:.1%} | "
            f"{acc_norm:.1%} | {n_warned} |"
        )
    # The control: 1000 held-out MNIST digits as given and normalised again.
    rows = np.random.default_rng(1).permutation(len(X))
    train, test = rows[:4000], rows[4000:]
    held = fit(X[train], y[train])
    raw28 = load_mnist_5k(size=28).images[test]
    acc_given = held.score(X[test], y[test])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        acc_again = held.score(load_images(list(raw28)).data, y[test])
    acc_thin = held.score(without_thickening(list(raw28)), y[test])
    print(
        f"| mnist hold-out (model refit on the other 4000) | 1000 | "
        f"as given: {acc_given:.1%} | {acc_thin:.1%} | {acc_again:.1%} | "
        f"{len(caught)} |"
    )
    print()
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
