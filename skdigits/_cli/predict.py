"""``python -m skdigits predict IMAGE [IMAGE ...]``: read your own digits.

Every image is normalised as MNIST's digits were
(:func:`skdigits.datasets.load_images`) and given to the model; one line per
image: the file, the digit, its probability, and the runner-up. Every image
is read before the model is loaded, so a missing or unreadable file fails at
once: one ``error:`` line naming it, exit code 2.
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

from skdigits._cli.models import ModelError, default_model, load_model

_DESCRIPTION = (
    "Read handwritten digits from image files (PNG, JPEG, ...: one digit per "
    "image, dark on light or light on dark), normalised as MNIST's digits were, "
    "with the course's network trained on 5000 real MNIST digits (trained once "
    "and cached in your cache folder) or the model --model names."
)


def make_parser():
    parser = argparse.ArgumentParser(
        prog="python -m skdigits predict", description=_DESCRIPTION
    )
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    add_model_options(parser)
    parser.add_argument(
        "--show",
        metavar="DIR",
        help="write, for every image, a PNG of the 20 x 20 input the network "
        "sees (enlarged) into DIR",
    )
    return parser


def add_model_options(parser):
    """``--model`` and ``--order``, shared with ``serve``."""
    parser.add_argument(
        "--model",
        metavar="FILE",
        help="a fitted classifier saved with skops (.skops: only skdigits, "
        "scikit-learn and NumPy types are trusted) or joblib (any other name: "
        "a pickle, which runs code from the file when loaded: only files you "
        "trust); it must read 20 x 20 or 28 x 28 images",
    )
    parser.add_argument(
        "--order",
        choices=("F", "C"),
        default="F",
        help="how --model's training data unrolled each image: F column by "
        "column (load_mnist_5k's default, the course's layout), C row by row "
        "(load_digits' default) (default: F)",
    )


def get_model(args):
    """The model the options name; ModelError if the file cannot be used."""
    log = _note
    if args.model is None:
        return default_model(log=log)
    return load_model(args.model, order=args.order, log=log)


def _note(message):
    print(message, file=sys.stderr)


def error(message):
    """Print one ``error:`` line; return the exit code 2."""
    print(f"error: {message}", file=sys.stderr)
    return 2


def _read(paths):
    """(n, 28, 28) normalised images, or the exit code after ``error:`` lines."""
    from skdigits._images import normalise_images

    fields, failed = [], False
    for path in paths:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                field, _ = normalise_images([Path(path)])
            except (OSError, ValueError, TypeError, ImportError) as exc:
                failed = True
                error(str(exc).rstrip("."))
                continue
        for warning in caught:
            _note(f"warning: {warning.message}")
        fields.append(field[0])
    return None if failed else np.stack(fields)


def _inputs(fields, model):
    from skdigits._resample import mnist_to_course, unroll_images

    images = mnist_to_course(fields * 255.0, model.size)
    return images, unroll_images(images, model.order)


def _show(folder, paths, images):
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (path, image) in enumerate(zip(paths, images)):
        grey = np.clip(image, 0.0, 1.0) * 255.0
        picture = Image.fromarray((255 - grey).astype(np.uint8), mode="L")
        picture = picture.resize((10 * image.shape[1], 10 * image.shape[0]), 0)
        name = folder / f"{i:02d}-{Path(path).stem}-input.png"
        picture.save(name)
        written.append(name)
    return written


def main(argv):
    """Run ``predict``; return the exit code (0, or 2 for an error)."""
    args = make_parser().parse_args(argv)
    fields = _read(args.images)
    if fields is None:
        return 2
    try:
        model = get_model(args)
    except ModelError as exc:
        return error(str(exc))
    images, X = _inputs(fields, model)
    proba = model.clf.predict_proba(X)
    classes = model.clf.classes_
    _note(f"model: {model.description}")
    width = max(len(path) for path in args.images)
    for path, p in zip(args.images, proba):
        first, second = np.argsort(p)[::-1][:2]
        print(
            f"{path:<{width}}  {classes[first]}  (p={p[first]:.2f})  "
            f"runner-up {classes[second]} (p={p[second]:.2f})"
        )
    if args.show:
        try:
            written = _show(args.show, args.images, images)
        except OSError as exc:
            return error(f"cannot write into '{args.show}' ({exc})")
        _note(f"what the network saw: {len(written)} PNG(s) in {args.show}")
    return 0
