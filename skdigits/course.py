"""The functions of the Machine Learning course's exercise 4, in Python.

Each function keeps the course's conventions, so that a learner can compare
numbers with the course line by line:

- labels are ``1..K`` (the course's digit data uses label 10 for the digit 0);
- a layer's weights are a matrix ``Theta`` of shape ``(n_out, 1 + n_in)``, the
  bias in column 0;
- parameter and gradient vectors are unrolled column-major, like MATLAB's
  ``[Theta1(:); Theta2(:)]``;
- images are unrolled column-major too, as in the course's ``ex4data1.mat``.

The functions are thin adapters over the engine that
:class:`~skdigits.MLPDigitClassifier` trains with: the course's unrolled
parameter vector is exactly the engine's ``theta``, so :func:`nn_cost_function`
only checks its input, one-hot encodes the labels and calls the NumPy
objective. :func:`classifier_from_thetas` goes the other way and turns course
weights (for example the course's ``ex4weights.mat``) into a fitted estimator.
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.utils import check_array, check_random_state, column_or_1d

from skdigits._backends import make_objective
from skdigits._classifier import classifier_from_weights
from skdigits._grade import GradeReport, grade
from skdigits._keras.course import build_keras_model, diagnose_keras_model
from skdigits._network import forward_logits, initial_theta, layer_copies, n_params

__all__ = [
    "GradeReport",
    "build_keras_model",
    "check_nn_gradients",
    "classifier_from_thetas",
    "compute_numerical_gradient",
    "debug_initialize_weights",
    "diagnose_keras_model",
    "display_data",
    "grade",
    "nn_cost_function",
    "predict",
    "rand_initialize_weights",
    "sigmoid",
    "sigmoid_gradient",
    "unroll_thetas",
]


def _check_size(value, name, minimum=1):
    if (
        not isinstance(value, Integral | np.integer)
        or isinstance(value, bool)
        or value < minimum
    ):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _check_theta_matrices(thetas, name="thetas"):
    """Course-layout weight matrices as float64 arrays, and the layer sizes."""
    if isinstance(thetas, np.ndarray) or not hasattr(thetas, "__len__"):
        raise TypeError(
            f"{name} must be a list of weight matrices (Theta1, Theta2, ...), "
            f"got {type(thetas).__name__}."
        )
    if len(thetas) < 2:
        raise ValueError(
            f"{name} needs at least two weight matrices (a hidden layer and the "
            f"output layer), got {len(thetas)}."
        )
    arrays = []
    for i, T in enumerate(thetas, start=1):
        T = np.asarray(T)
        if T.ndim != 2 or T.shape[1] < 2 or T.shape[0] < 1:
            raise ValueError(
                f"Theta{i} must be a matrix of shape (n_out, 1 + n_in), bias in "
                f"column 0; got shape {T.shape}."
            )
        if not np.issubdtype(T.dtype, np.number) or not np.all(np.isfinite(T)):
            raise ValueError(f"Theta{i} must hold finite numbers.")
        if arrays and T.shape[1] != arrays[-1].shape[0] + 1:
            raise ValueError(
                f"Theta{i} has shape {T.shape}, but Theta{i - 1} has "
                f"{arrays[-1].shape[0]} output units, so Theta{i} needs "
                f"{arrays[-1].shape[0] + 1} columns (bias first)."
            )
        arrays.append(np.asarray(T, dtype=np.float64))
    layer_sizes = [arrays[0].shape[1] - 1, *(T.shape[0] for T in arrays)]
    return arrays, layer_sizes


def _unroll(thetas):
    # Column-major, as MATLAB's [Theta1(:); Theta2(:)]: the engine's theta.
    return np.concatenate([T.ravel(order="F") for T in thetas])


def unroll_thetas(thetas):
    """Unroll weight matrices as the course's ``[Theta1(:); Theta2(:)]``.

    Parameters
    ----------
    thetas : sequence of array-like
        ``(Theta1, Theta2, ...)``, each of shape ``(n_out, 1 + n_in)`` with the
        biases in column 0, consecutive shapes chaining.

    Returns
    -------
    nn_params : ndarray of shape (n_params,)
        Each matrix unrolled column by column (Octave's order), one after the
        other: what :func:`nn_cost_function` takes.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits.course import unroll_thetas
    >>> unroll_thetas([np.arange(6).reshape(2, 3), np.ones((1, 3))])
    array([0., 3., 1., 4., 2., 5., 1., 1., 1.])
    """
    arrays, _ = _check_theta_matrices(thetas)
    return _unroll(arrays)


def sigmoid(z):
    """Logistic function ``1 / (1 + exp(-z))``, elementwise.

    Parameters
    ----------
    z : float or array-like
        Input.

    Returns
    -------
    g : float or ndarray
        ``sigmoid(z)``, same shape as ``z``.

    Examples
    --------
    >>> from skdigits.course import sigmoid
    >>> sigmoid([-1.0, 0.0, 1.0])
    array([0.26894142, 0.5       , 0.73105858])
    """
    return expit(np.asarray(z, dtype=np.float64))


def sigmoid_gradient(z):
    """Derivative of the sigmoid, ``g(z) * (1 - g(z))``, elementwise.

    Parameters
    ----------
    z : float or array-like
        Input.

    Returns
    -------
    g : float or ndarray
        The gradient of :func:`sigmoid` at ``z``; ``0.25`` at ``z = 0``.

    Examples
    --------
    >>> from skdigits.course import sigmoid_gradient
    >>> sigmoid_gradient([-1.0, 0.0, 1.0])
    array([0.19661193, 0.25      , 0.19661193])
    """
    g = sigmoid(z)
    return g * (1.0 - g)


def rand_initialize_weights(l_in, l_out, epsilon_init=0.12, random_state=None):
    """Random initial weights of a layer, to break the symmetry.

    Every weight, bias column included, is drawn uniformly in
    ``[-epsilon_init, epsilon_init]``. Drawing the layers in order from one
    ``RandomState`` gives exactly the initial weights of
    ``MLPDigitClassifier(init='uniform', random_state=...)``.

    Parameters
    ----------
    l_in : int
        Number of incoming units (without the bias unit).

    l_out : int
        Number of outgoing units.

    epsilon_init : float, default=0.12
        Half-width of the interval.

    random_state : int, RandomState instance or None, default=None
        Source of randomness.

    Returns
    -------
    W : ndarray of shape (l_out, 1 + l_in)
        The weights, bias in column 0.

    Examples
    --------
    >>> from skdigits.course import rand_initialize_weights
    >>> W = rand_initialize_weights(400, 25, random_state=0)
    >>> W.shape, bool(abs(W).max() <= 0.12)
    ((25, 401), True)
    """
    l_in = _check_size(l_in, "l_in")
    l_out = _check_size(l_out, "l_out")
    if not isinstance(epsilon_init, Real) or not epsilon_init > 0:
        raise ValueError(f"epsilon_init must be positive, got {epsilon_init!r}.")
    rng = check_random_state(random_state)
    theta = initial_theta([l_in, l_out], "uniform", float(epsilon_init), rng)
    return theta.reshape(1 + l_in, l_out).T.copy()


def debug_initialize_weights(fan_out, fan_in):
    """The course's deterministic weights for debugging: ``sin(1..n) / 10``.

    The values ``sin(1), sin(2), ...`` fill a ``(fan_out, 1 + fan_in)`` matrix
    column by column (MATLAB's ``reshape``), so that gradient checks give the
    course's numbers.

    Parameters
    ----------
    fan_out : int
        Number of outgoing units.

    fan_in : int
        Number of incoming units (without the bias unit).

    Returns
    -------
    W : ndarray of shape (fan_out, 1 + fan_in)
        The weights, bias in column 0.

    Examples
    --------
    >>> from skdigits.course import debug_initialize_weights
    >>> debug_initialize_weights(2, 1)
    array([[ 0.0841471 ,  0.014112  ],
           [ 0.09092974, -0.07568025]])
    """
    fan_out = _check_size(fan_out, "fan_out")
    fan_in = _check_size(fan_in, "fan_in", minimum=0)
    shape = (fan_out, 1 + fan_in)
    return (
        np.sin(np.arange(1, fan_out * (1 + fan_in) + 1)).reshape(shape, order="F") / 10
    )


def nn_cost_function(
    nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_
):
    """Cost and gradient of the course's two-layer network.

    The cost is the binary cross-entropy summed over the ``num_labels`` sigmoid
    output units and averaged over the ``m`` samples, plus the penalty
    ``lambda_ / (2 m)`` times the sum of the squared non-bias weights. It is
    computed by the NumPy engine of :class:`~skdigits.MLPDigitClassifier`,
    whose parameter vector is the course's unrolled one.

    Parameters
    ----------
    nn_params : array-like of shape (n_params,)
        ``[Theta1(:); Theta2(:)]``: ``Theta1`` of shape ``(hidden_layer_size, 1 +
        input_layer_size)`` and ``Theta2`` of shape ``(num_labels, 1 +
        hidden_layer_size)``, unrolled column-major. A column vector is accepted.

    input_layer_size : int
        Number of input features.

    hidden_layer_size : int
        Number of hidden units.

    num_labels : int
        Number of classes ``K >= 2``.

    X : array-like of shape (m, input_layer_size)
        Samples, one per row.

    y : array-like of shape (m,)
        Labels in ``1..num_labels``.

    lambda_ : float
        Regularisation strength (``lambda`` in the course).

    Returns
    -------
    J : float
        The cost.

    grad : ndarray of shape (n_params,)
        Its gradient, unrolled column-major like ``nn_params``.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits.course import debug_initialize_weights, nn_cost_function
    >>> Theta1 = debug_initialize_weights(5, 3)
    >>> Theta2 = debug_initialize_weights(3, 5)
    >>> nn_params = np.concatenate([Theta1.ravel("F"), Theta2.ravel("F")])
    >>> X = debug_initialize_weights(5, 2)
    >>> y = np.array([2, 3, 1, 2, 3])
    >>> J, grad = nn_cost_function(nn_params, 3, 5, 3, X, y, 0.0)
    >>> J, grad.shape
    (2.1009..., (38,))
    """
    input_layer_size = _check_size(input_layer_size, "input_layer_size")
    hidden_layer_size = _check_size(hidden_layer_size, "hidden_layer_size")
    num_labels = _check_size(num_labels, "num_labels", minimum=2)
    layer_sizes = [input_layer_size, hidden_layer_size, num_labels]
    if not isinstance(lambda_, Real) or isinstance(lambda_, bool) or not lambda_ >= 0:
        raise ValueError(f"lambda_ must be a number >= 0, got {lambda_!r}.")

    if isinstance(nn_params, list | tuple) and any(
        np.ndim(part) == 2 for part in nn_params
    ):
        raise ValueError(
            "nn_params must be one vector, the weight matrices unrolled as the "
            "course's [Theta1(:); Theta2(:)]; got a sequence of matrices. Unroll "
            "them with skdigits.course.unroll_thetas((Theta1, Theta2))."
        )
    theta = np.asarray(nn_params, dtype=np.float64)
    if theta.ndim == 2 and theta.shape[1] == 1:
        theta = theta[:, 0]
    expected = n_params(layer_sizes)
    if theta.shape != (expected,):
        raise ValueError(
            f"nn_params has shape {theta.shape}; a {input_layer_size}-"
            f"{hidden_layer_size}-{num_labels} network has {expected} parameters "
            f"({hidden_layer_size}x{input_layer_size + 1} + "
            f"{num_labels}x{hidden_layer_size + 1})."
        )
    if not np.all(np.isfinite(theta)):
        raise ValueError("nn_params must hold finite numbers.")

    X = check_array(X, dtype=np.float64, input_name="X")
    if X.shape[1] != input_layer_size:
        raise ValueError(
            f"X has {X.shape[1]} features per sample, but input_layer_size is "
            f"{input_layer_size}."
        )
    y = column_or_1d(y, warn=False)
    if y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y has {y.shape[0]} labels for the {X.shape[0]} samples of X."
        )
    labels = np.arange(1, num_labels + 1)
    if not np.issubdtype(y.dtype, np.number) or not np.all(np.isin(y, labels)):
        raise ValueError(
            f"y must hold the course's labels 1..{num_labels} (label k for the "
            f"k-th output unit); got values {np.unique(y)[:10]!r}."
        )

    Y = (y[:, None] == labels).astype(np.float64)
    objective = make_objective(
        X,
        Y,
        np.ones(X.shape[0]),
        l2=float(lambda_),
        layer_sizes=layer_sizes,
        activation="logistic",
        out_activation="logistic",
    )
    J, grad = objective(theta)
    return float(J), grad


def compute_numerical_gradient(cost_func, theta, e=1e-4):
    """Central finite-difference estimate of a cost function's gradient.

    ``numgrad[p] = (J(theta + e u_p) - J(theta - e u_p)) / (2 e)`` for every
    coordinate ``p``, as the course's ``computeNumericalGradient``. It costs two
    evaluations per parameter: use it on small networks only.

    Parameters
    ----------
    cost_func : callable
        ``cost_func(theta)`` returning the cost, or a tuple whose first item is
        the cost (such as :func:`nn_cost_function`'s ``(J, grad)``).

    theta : array-like of shape (n_params,)
        Point at which to estimate the gradient.

    e : float, default=1e-4
        Step.

    Returns
    -------
    numgrad : ndarray of shape (n_params,)
        The estimated gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits.course import compute_numerical_gradient
    >>> compute_numerical_gradient(lambda t: float(np.sum(t ** 2)), [1.0, -2.0])
    array([ 2., -4.])
    """
    if not callable(cost_func):
        raise TypeError(f"cost_func must be callable, got {type(cost_func).__name__}.")
    if not isinstance(e, Real) or not e > 0:
        raise ValueError(f"e must be a positive step, got {e!r}.")
    theta = np.array(theta, dtype=np.float64).ravel()

    def cost(t):
        value = cost_func(t)
        return float(value[0] if isinstance(value, tuple) else value)

    numgrad = np.empty_like(theta)
    for p in range(theta.size):
        saved = theta[p]
        theta[p] = saved - e
        loss1 = cost(theta)
        theta[p] = saved + e
        loss2 = cost(theta)
        theta[p] = saved
        numgrad[p] = (loss2 - loss1) / (2 * e)
    return numgrad


def check_nn_gradients(lambda_=0):
    """Check backpropagation against finite differences, as the course does.

    Builds the course's small debugging problem (3 inputs, 5 hidden units, 3
    labels, 5 samples, weights and data from :func:`debug_initialize_weights`,
    labels ``1 + mod(1..5, 3)``) and compares the gradient of
    :func:`nn_cost_function` with :func:`compute_numerical_gradient`.

    Parameters
    ----------
    lambda_ : float, default=0
        Regularisation strength.

    Returns
    -------
    diff : float
        ``norm(numgrad - grad) / norm(numgrad + grad)``; the course expects
        less than ``1e-9`` for a correct implementation.

    Examples
    --------
    >>> from skdigits.course import check_nn_gradients
    >>> bool(check_nn_gradients(0) < 1e-9), bool(check_nn_gradients(3) < 1e-9)
    (True, True)
    """
    input_layer_size, hidden_layer_size, num_labels, m = 3, 5, 3, 5
    Theta1 = debug_initialize_weights(hidden_layer_size, input_layer_size)
    Theta2 = debug_initialize_weights(num_labels, hidden_layer_size)
    X = debug_initialize_weights(m, input_layer_size - 1)
    y = 1 + np.arange(1, m + 1) % num_labels
    nn_params = _unroll([Theta1, Theta2])

    def cost_func(p):
        return nn_cost_function(
            p, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_
        )

    _, grad = cost_func(nn_params)
    numgrad = compute_numerical_gradient(cost_func, nn_params)
    return float(np.linalg.norm(numgrad - grad) / np.linalg.norm(numgrad + grad))


def predict(Theta1, Theta2, X):
    """Predict labels with a trained two-layer network.

    Parameters
    ----------
    Theta1 : array-like of shape (hidden_layer_size, 1 + n_features)
        Hidden-layer weights, bias in column 0.

    Theta2 : array-like of shape (num_labels, 1 + hidden_layer_size)
        Output-layer weights, bias in column 0.

    X : array-like of shape (m, n_features)
        Samples, one per row.

    Returns
    -------
    p : ndarray of shape (m,)
        Predicted labels in ``1..num_labels``: the output unit with the largest
        activation.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits.course import predict
    >>> Theta1 = np.array([[0.0, 1.0], [0.0, -1.0]])
    >>> Theta2 = np.array([[0.0, 4.0, -4.0], [0.0, -4.0, 4.0]])
    >>> predict(Theta1, Theta2, [[3.0], [-3.0]])
    array([1, 2])
    """
    (Theta1, Theta2), layer_sizes = _check_theta_matrices(
        [Theta1, Theta2], name="(Theta1, Theta2)"
    )
    X = check_array(X, dtype=np.float64, input_name="X")
    if X.shape[1] != layer_sizes[0]:
        raise ValueError(
            f"X has {X.shape[1]} features per sample, but Theta1 expects "
            f"{layer_sizes[0]} (it has {layer_sizes[0] + 1} columns, bias first)."
        )
    coefs, intercepts = layer_copies(_unroll([Theta1, Theta2]), layer_sizes)
    logits = forward_logits(X, coefs, intercepts, "logistic")
    return np.argmax(logits, axis=1).astype(np.int64) + 1


def display_data(X, example_width=None, ax=None):
    """Show images unrolled column-major in a grid, upright, as the course does.

    Each image is scaled by its largest absolute value and drawn in gray levels
    from -1 (black) to 1 (white), with a black border, like the course's
    ``displayData``. Use it on the rows of the course's data, or on
    ``Theta1[:, 1:]`` to see what the hidden units respond to.

    Parameters
    ----------
    X : array-like of shape (m, n_pixels)
        One image per row, unrolled column by column (MATLAB's order, the order
        of the course's ``ex4data1.mat``).

    example_width : int, default=None
        Width of an image; by default ``round(sqrt(n_pixels))``. The height is
        ``n_pixels / example_width``.

    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure when None.

    Returns
    -------
    ax : matplotlib Axes
        The axes holding the grid (``ax.images[0]``).

    See Also
    --------
    skdigits.plotting.plot_digits : The same grid for row-major data too.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skdigits.course import display_data
    >>> from skdigits.datasets import load_digits
    >>> digits = load_digits()
    >>> course_order = digits.images.transpose(0, 2, 1).reshape(len(digits.data), -1)
    >>> ax = display_data(course_order[:16])
    >>> ax.images[0].get_array().shape
    (85, 85)
    """
    from skdigits.plotting import plot_digits

    X = np.asarray(X)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2:
        raise ValueError(
            f"X must hold one unrolled image per row; got shape {X.shape}."
        )
    n_pixels = X.shape[1]
    if example_width is None:
        example_width = int(round(np.sqrt(n_pixels)))
    example_width = _check_size(example_width, "example_width")
    if n_pixels % example_width:
        raise ValueError(
            f"example_width={example_width} does not divide the {n_pixels} pixels "
            "of an image."
        )
    shape = (n_pixels // example_width, example_width)
    return plot_digits(X, image_shape=shape, order="F", ax=ax)


def classifier_from_thetas(thetas, classes=None):
    """A fitted :class:`~skdigits.MLPDigitClassifier` holding course weights.

    Parameters
    ----------
    thetas : list of array-like
        Weight matrices ``[Theta1, Theta2, ...]`` in the course's layout: layer
        ``l`` of shape ``(n_out, 1 + n_in)``, bias in column 0 (for example
        :func:`~skdigits.datasets.load_course_weights`'s result).

    classes : array-like of shape (K,), default=None
        Label of each output unit, in order. None gives the course's labels
        ``1..K``. For the course's digit weights, whose output 10 means the digit
        0, ``classes=[1, 2, ..., 9, 0]`` makes the classifier predict digits.

    Returns
    -------
    clf : MLPDigitClassifier
        A fitted classifier (sigmoid hidden and output units) predicting what
        :func:`predict` predicts, relabelled by ``classes``. Its ``init``
        parameter holds the same weights, so fitting it again (or a clone of it)
        starts from them. ``loss_`` is None and ``loss_curve_`` empty: it has
        not seen any data.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits.course import classifier_from_thetas, debug_initialize_weights
    >>> thetas = [debug_initialize_weights(5, 3), debug_initialize_weights(4, 5)]
    >>> clf = classifier_from_thetas(thetas, classes=["a", "b", "c", "d"])
    >>> clf.classes_
    array(['a', 'b', 'c', 'd'], dtype='<U1')
    >>> clf.predict(np.ones((2, 3)))
    array(['a', 'a'], dtype='<U1')
    """
    thetas, layer_sizes = _check_theta_matrices(thetas)
    n_outputs = layer_sizes[-1]
    if n_outputs < 2:
        raise ValueError(
            f"The output layer has {n_outputs} unit; a classifier needs at least 2."
        )
    if classes is None:
        classes = np.arange(1, n_outputs + 1)
    classes = column_or_1d(np.asarray(classes))
    if classes.shape[0] != n_outputs:
        raise ValueError(
            f"classes has {classes.shape[0]} labels, but the output layer has "
            f"{n_outputs} units (one label per unit)."
        )
    order = np.argsort(classes, kind="stable")
    if np.any(classes[order][1:] == classes[order][:-1]):
        raise ValueError(f"classes must be distinct labels, got {classes!r}.")

    # scikit-learn keeps classes_ sorted: reorder the output units to match.
    thetas = [*thetas[:-1], thetas[-1][order]]
    coefs, intercepts = layer_copies(_unroll(thetas), layer_sizes)
    return classifier_from_weights(
        coefs,
        intercepts,
        classes[order],
        hidden_layer_sizes=tuple(layer_sizes[1:-1]),
        activation="logistic",
        out_activation="logistic",
        init=[T.copy() for T in thetas],
    )
