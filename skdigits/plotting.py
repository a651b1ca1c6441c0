"""Pictures: digit grids, hidden units and loss curves.

matplotlib is imported inside the functions, so ``import skdigits.plotting``
works without it; calling a function without matplotlib raises an
``ImportError`` saying how to install it (``pip install "skdigits[plot]"``).
Every function draws into ``ax`` when given one, else into a new figure, and
returns the axes.

For confusion matrices use scikit-learn's
:class:`~sklearn.metrics.ConfusionMatrixDisplay`, which works with any fitted
:class:`~skdigits.MLPDigitClassifier`.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["plot_digits", "plot_hidden_units", "plot_loss_curve"]

PIXEL_ORDERS = ("C", "F")


def _axes(ax, caller):
    """``ax``, or the axes of a new figure; checks that matplotlib is there."""
    # scikit-learn's check_matplotlib_support is private since 1.8; this is
    # the same check, with the install command of skdigits' extra.
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, which is not installed. Install it with: "
            'pip install "skdigits[plot]"'
        ) from exc
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _as_images(X, image_shape, order):
    """Stack of upright images from unrolled rows (or from images)."""
    X = np.asarray(X)
    if not np.issubdtype(X.dtype, np.number):
        raise ValueError(f"X must hold numbers, got dtype {X.dtype}.")
    if order not in PIXEL_ORDERS:
        raise ValueError(
            f"order must be 'C' (rows unrolled row by row, NumPy's order) or 'F' "
            f"(column by column, the course's order); got {order!r}."
        )
    if X.ndim == 3:
        return X.astype(np.float64)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(
            f"X must hold one unrolled image per row (or be a stack of images); "
            f"got shape {X.shape}."
        )
    n_pixels = X.shape[1]
    if image_shape is None:
        side = int(round(np.sqrt(n_pixels)))
        if side * side != n_pixels:
            raise ValueError(
                f"Images of {n_pixels} pixels are not square; pass image_shape="
                "(height, width)."
            )
        image_shape = (side, side)
    height, width = image_shape
    if height * width != n_pixels:
        raise ValueError(
            f"image_shape={tuple(image_shape)} does not match the {n_pixels} pixels "
            "per row of X."
        )
    if order == "C":
        return X.reshape(-1, height, width).astype(np.float64)
    # Column-major rows: reshape each row as (width, height) and transpose.
    return X.reshape(-1, width, height).transpose(0, 2, 1).astype(np.float64)


def _grid_shape(n_images, n_cols):
    if n_cols is None:
        # The course's displayData: floor(sqrt(m)) rows.
        n_rows = max(int(np.floor(np.sqrt(n_images))), 1)
        n_cols = int(np.ceil(n_images / n_rows))
    else:
        n_cols = int(n_cols)
        if n_cols < 1:
            raise ValueError(f"n_cols must be a positive integer, got {n_cols}.")
        n_rows = int(np.ceil(n_images / n_cols))
    return n_rows, n_cols


def _tile(images, n_rows, n_cols, pad=1):
    """One array holding the images, each scaled to max |value| 1, on -1."""
    n, height, width = images.shape
    grid = -np.ones((pad + n_rows * (height + pad), pad + n_cols * (width + pad)))
    for k, image in enumerate(images):
        scale = np.max(np.abs(image))
        r, c = divmod(k, n_cols)
        top, left = pad + r * (height + pad), pad + c * (width + pad)
        grid[top : top + height, left : left + width] = image / (scale or 1.0)
    return grid


def plot_digits(X, *, image_shape=None, order="C", n_cols=None, labels=None, ax=None):
    """Show images in a grid, upright, as the course's ``displayData``.

    Each image is scaled by its largest absolute value and drawn in gray from
    -1 (black) to 1 (white), separated by a black border.

    Parameters
    ----------
    X : array-like of shape (n_images, n_pixels) or (n_images, height, width)
        Images, unrolled one per row or already 2-D.

    image_shape : tuple of int, default=None
        ``(height, width)`` of an image; by default square.

    order : {'C', 'F'}, default='C'
        How each row of ``X`` was unrolled: ``'C'`` row by row (NumPy's order,
        :func:`skdigits.datasets.load_digits`), ``'F'`` column by column
        (MATLAB's order: the course's files,
        :func:`skdigits.datasets.load_course_data`,
        :func:`skdigits.datasets.fetch_mnist`).

    n_cols : int, default=None
        Images per grid row; by default the course's ``ceil(m / floor(sqrt(m)))``.

    labels : array-like of shape (n_images,), default=None
        Text written in the corner of each image (true or predicted labels).

    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes
        The axes; ``ax.images[0].get_array()`` is the grid.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skdigits.datasets import load_digits
    >>> from skdigits.plotting import plot_digits
    >>> digits = load_digits()
    >>> ax = plot_digits(digits.data[:10], labels=digits.target[:10])
    >>> ax.images[0].get_array().shape
    (64, 85)
    """
    ax = _axes(ax, "plot_digits")
    images = _as_images(X, image_shape, order)
    n_rows, n_cols = _grid_shape(len(images), n_cols)
    if labels is not None:
        labels = np.asarray(labels).ravel()
        if labels.shape[0] != len(images):
            raise ValueError(
                f"labels has {labels.shape[0]} entries for {len(images)} images."
            )
    grid = _tile(images, n_rows, n_cols)
    ax.imshow(grid, cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if labels is not None:
        height, width = images.shape[1:]
        for k, label in enumerate(labels):
            r, c = divmod(k, n_cols)
            ax.text(
                1 + c * (width + 1) + 0.5,
                1 + r * (height + 1) + 0.5,
                str(label),
                color="yellow",
                fontsize="small",
                ha="left",
                va="top",
            )
    return ax


def plot_hidden_units(estimator, *, image_shape=None, order="C", ax=None):
    """Show what each hidden unit of the first layer responds to.

    Each unit's input weights (a column of ``coefs_[0]``, a row of the course's
    ``Theta1`` without its bias) are drawn as an image in the pixel layout of
    the training data: the course's "visualizing the hidden layer".

    Parameters
    ----------
    estimator : fitted MLPDigitClassifier
        Or any fitted estimator with scikit-learn's ``coefs_`` layout, such as
        :class:`~sklearn.neural_network.MLPClassifier`.

    image_shape : tuple of int, default=None
        ``(height, width)`` of an input image; by default square.

    order : {'C', 'F'}, default='C'
        Pixel order of the training data: ``'C'`` for row-major data
        (:func:`skdigits.datasets.load_digits`), ``'F'`` for the course's
        column-major files.

    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes
        The axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skdigits import MLPDigitClassifier
    >>> from skdigits.datasets import load_digits
    >>> from skdigits.plotting import plot_hidden_units
    >>> X, y = load_digits(size=8, return_X_y=True)
    >>> clf = MLPDigitClassifier(tol=1e-3, random_state=0).fit(X, y)
    >>> ax = plot_hidden_units(clf)
    >>> ax.images[0].get_array().shape
    (46, 46)
    """
    check_is_fitted(estimator, "coefs_")
    ax = _axes(ax, "plot_hidden_units")
    plot_digits(
        np.asarray(estimator.coefs_[0]).T, image_shape=image_shape, order=order, ax=ax
    )
    ax.set_title(f"Input weights of the {estimator.coefs_[0].shape[1]} hidden units")
    return ax


def plot_loss_curve(estimator, *, label=None, ax=None):
    """Plot the training loss per iteration, and validation scores if any.

    Parameters
    ----------
    estimator : fitted MLPDigitClassifier
        Or any fitted estimator with ``loss_curve_`` (and optionally
        ``validation_scores_``, drawn on a second y axis).

    label : str, default=None
        Legend entry of the loss curve; ``"training loss"`` when None. Call the
        function again with the same ``ax`` to compare fits.

    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes
        The axes of the loss curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skdigits import MLPDigitClassifier
    >>> from skdigits.datasets import load_digits
    >>> from skdigits.plotting import plot_loss_curve
    >>> X, y = load_digits(size=8, return_X_y=True)
    >>> clf = MLPDigitClassifier(tol=1e-3, random_state=0).fit(X, y)
    >>> ax = plot_loss_curve(clf)
    >>> len(ax.lines[0].get_xdata()) == clf.n_iter_
    True
    """
    check_is_fitted(estimator, "loss_curve_")
    loss = np.asarray(estimator.loss_curve_, dtype=np.float64)
    if loss.size == 0:
        raise ValueError(
            "The estimator's loss_curve_ is empty: it was not trained by fit "
            "(for example, built by skdigits.course.classifier_from_thetas)."
        )
    ax = _axes(ax, "plot_loss_curve")
    iterations = np.arange(1, loss.size + 1)
    ax.plot(iterations, loss, label=label or "training loss")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss (cost J)")
    handles, texts = ax.get_legend_handles_labels()
    scores = getattr(estimator, "validation_scores_", None)
    if scores:
        twin = ax.twinx()
        (line,) = twin.plot(
            np.arange(1, len(scores) + 1),
            scores,
            color="tab:red",
            linestyle="--",
            label="validation accuracy",
        )
        twin.set_ylabel("validation accuracy")
        handles.append(line)
        texts.append(line.get_label())
    ax.legend(handles, texts, loc="upper right")
    ax.grid(True, alpha=0.3)
    return ax
