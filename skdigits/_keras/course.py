"""The course's network in Keras, and a check of a user's Keras model against it.

Keras is imported inside the functions, so importing this module (or
``skdigits.course``, which re-exports both functions) never loads TensorFlow.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from skdigits._keras import require_keras
from skdigits._network import initial_theta


def build_keras_model(
    input_layer_size=400,
    hidden_layer_size=25,
    num_labels=10,
    *,
    lambda_=1.0,
    n_samples,
    epsilon_init=0.12,
    learning_rate=0.01,
    random_state=None,
):
    """The course's network as a compiled Keras model with the course's cost.

    What the learner's Keras code should have been: ``hidden_layer_size``
    sigmoid units, one sigmoid output unit per label, and the cost of exercise
    4,

    .. math::

        J = \\frac{1}{m} \\sum_{i=1}^m \\sum_{k=1}^K
        \\left[-y_k^{(i)} \\log h_k^{(i)} - (1 - y_k^{(i)}) \\log(1 - h_k^{(i)})
        \\right] + \\frac{\\lambda}{2m} \\sum_l \\lVert W_l \\rVert^2 .

    In Keras terms: the binary cross-entropy **summed** over the output units
    (Keras's ``binary_crossentropy`` averages it over them) and averaged over
    the samples, and ``keras.regularizers.L2(lambda_ / (2 * n_samples))`` on
    every kernel, not on the biases. Keras's ``L2(c)`` adds ``c * sum(W**2)``
    to the *mean* loss, so the course's ``lambda`` is ``c * 2 * m``: writing
    ``l2(1)`` for ``lambda = 1`` penalises ``2m`` times too hard.

    Every weight, biases included, starts uniform in
    ``[-epsilon_init, epsilon_init]`` as the course's ``randInitializeWeights``
    (drawn with NumPy from ``random_state``; Keras's random state is not
    touched). The optimizer is Adam: the course's ``fmincg`` has no Keras
    counterpart, and a few full-batch SGD steps barely move the weights. Train
    with minibatches, for example ``model.fit(X, Y, epochs=50,
    batch_size=64)`` with one-hot ``Y``; ``model.evaluate`` then reports ``J``.
    The loss is computed from the output layer's logits, which Keras's
    TensorFlow backend keeps with the sigmoid outputs.

    Parameters
    ----------
    input_layer_size : int, default=400
        Number of input units (pixels).

    hidden_layer_size : int, default=25
        Number of hidden units.

    num_labels : int, default=10
        Number of output units, one per label.

    lambda_ : float, default=1.0
        The course's regularisation strength ``lambda``.

    n_samples : int
        Number of training samples ``m``, which scales the penalty.

    epsilon_init : float, default=0.12
        Half-width of the initial weights' interval.

    learning_rate : float, default=0.01
        Adam's learning rate.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights.

    Returns
    -------
    model : keras.Model
        The compiled network; ``model.predict`` returns the sigmoid outputs.

    See Also
    --------
    diagnose_keras_model : Where a Keras model departs from this one.
    skdigits.MLPDigitClassifier.to_keras : A fitted estimator as such a model.

    Examples
    --------
    >>> from skdigits.course import build_keras_model
    >>> model = build_keras_model(n_samples=5000, random_state=0)
    >>> [layer.units for layer in model.layers]
    [25, 10]
    >>> float(model.layers[0].kernel_regularizer.l2)  # 1 / (2 * 5000)
    0.0001
    """
    require_keras("build_keras_model")
    import keras

    from skdigits._keras.layers import CourseCrossEntropy, set_theta

    _check_build_arguments(
        dict(
            input_layer_size=input_layer_size,
            hidden_layer_size=hidden_layer_size,
            num_labels=num_labels,
            n_samples=n_samples,
        ),
        dict(lambda_=lambda_, epsilon_init=epsilon_init, learning_rate=learning_rate),
    )
    factor = lambda_ / (2 * n_samples)
    model = keras.Sequential(
        [
            keras.Input(shape=(input_layer_size,)),
            keras.layers.Dense(
                hidden_layer_size,
                activation="sigmoid",
                kernel_regularizer=keras.regularizers.L2(factor),
                name="hidden",
            ),
            keras.layers.Dense(
                num_labels,
                activation="sigmoid",
                kernel_regularizer=keras.regularizers.L2(factor),
                name="output",
            ),
        ],
        name="course_network",
    )
    layer_sizes = [input_layer_size, hidden_layer_size, num_labels]
    rng = check_random_state(random_state)
    set_theta(model, initial_theta(layer_sizes, "uniform", epsilon_init, rng))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=CourseCrossEntropy("logistic"),
        metrics=[keras.metrics.CategoricalAccuracy(name="accuracy")],
    )
    return model


def _check_build_arguments(sizes, numbers):
    """ValueError unless every one of ``sizes`` is a positive integer and every
    one of ``numbers`` a finite number >= 0 (both: name -> value)."""
    for name, value in sizes.items():
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    for name, value in numbers.items():
        if not isinstance(value, Real) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}.")


def diagnose_keras_model(
    model,
    *,
    n_samples,
    X=None,
    epochs=None,
    batch_size=None,
    lambda_=1.0,
):
    """Where a Keras model departs from the course's network and cost.

    Checks, in plain sentences:

    - the L2 factor ``c`` of every kernel, expressed as the course's
      ``lambda = c * 2m``, against ``lambda_``; L1 or bias penalties;
    - the loss against the output activation: categorical cross-entropy on a
      sigmoid layer (Keras 3 silently computes it as the softmax cross-entropy
      of the pre-sigmoid logits), Keras's ``binary_crossentropy`` (a mean over
      the output units where the course sums), logits/probabilities mix-ups;
    - sigmoid hidden units, and layers the course's network does not have;
    - with ``X``, inputs far outside the course's pixel range;
    - with ``epochs`` and ``batch_size`` (or from the model's last ``fit``), an
      optimizer that will take only a few small full-batch steps.

    Parameters
    ----------
    model : keras.Model
        A compiled Keras model.

    n_samples : int
        Number of training samples ``m``.

    X : array-like of shape (n_samples, n_features), default=None
        The training inputs, to check their scale.

    epochs : int, default=None
        Number of epochs the model is (to be) trained for.

    batch_size : int, default=None
        Minibatch size of the training; Keras's default is 32.

    lambda_ : float, default=1.0
        The course's ``lambda`` the penalty should amount to.

    Returns
    -------
    findings : list of str
        One sentence per departure; empty when the model matches the course.

    See Also
    --------
    build_keras_model : The course's network in Keras.

    Examples
    --------
    >>> import keras
    >>> from skdigits.course import build_keras_model, diagnose_keras_model
    >>> diagnose_keras_model(build_keras_model(n_samples=1797), n_samples=1797)
    []
    >>> seed = keras.Sequential([
    ...     keras.Input(shape=(400,)),
    ...     keras.layers.Dense(25, activation="sigmoid", name="hidden",
    ...                        kernel_regularizer=keras.regularizers.l2(1)),
    ...     keras.layers.Dense(10, activation="sigmoid", name="output",
    ...                        kernel_regularizer=keras.regularizers.l2(1)),
    ... ])
    >>> seed.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
    ...              loss="categorical_crossentropy")
    >>> for finding in diagnose_keras_model(
    ...     seed, n_samples=1797, epochs=100, batch_size=1797
    ... ):
    ...     print(finding[: finding.index(":")])
    The kernels of layers 'hidden' and 'output' carry an L2 factor of 1, which
    is the course's lambda = 1 * 2 * m = 1 * 2 * 1797 = 3594, not lambda = 1
    The loss is categorical cross-entropy on a sigmoid output layer
    SGD will take 100 full-batch steps of learning rate 0.01
    """
    require_keras("diagnose_keras_model")
    import keras

    from skdigits._keras.diagnosis import diagnose

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}.")
    if not isinstance(n_samples, Integral) or isinstance(n_samples, bool):
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if not isinstance(lambda_, Real) or not lambda_ >= 0:
        raise ValueError(f"lambda_ must be a non-negative number, got {lambda_!r}.")
    for name, value in dict(epochs=epochs, batch_size=batch_size).items():
        if value is not None and (not isinstance(value, Integral) or value < 1):
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")

    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if not dense:
        raise ValueError("The model has no Dense layer: it is not an MLP.")
    return diagnose(
        model,
        dense,
        n_samples=n_samples,
        X=X,
        epochs=epochs,
        batch_size=batch_size,
        lambda_=lambda_,
    )
