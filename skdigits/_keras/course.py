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
    n_samples=None,
    X=None,
    y=None,
    epochs=None,
    batch_size=None,
    lambda_=1.0,
    time_budget=30.0,
):
    """What keeps a Keras model from training, measured, then its departures.

    With the training data (``X`` and ``y`` as passed to ``model.fit``, and the
    ``epochs`` and ``batch_size`` of that fit), a short probe trains clones of
    the model within ``time_budget`` seconds: the model as given, then each
    candidate fix alone (inputs scaled to [0, 1], labels one-hot or a sparse
    loss, the loss paired with the output layer, the kernel penalty set to the
    course's, the learning rate raised), and, when no single fix is enough,
    all of them together and all but one. A fix that raises the training
    accuracy by 15 points or more is what keeps the model from training; the
    findings are ranked by that measured gain and each carries its numbers.
    Without data, only what rules can tell is reported, marked as not
    measured. The user's model and its weights are never modified.

    Then come the departures from the course's network (ReLU or Dropout
    layers, softmax outputs, a penalty other than the course's lambda), which
    do not keep the model from training: the penalty in the course's terms
    (Keras's ``l2(c)`` is the course's ``lambda = c * 2m``), the loss against
    the output layer, the layers.

    Dense layers followed by a separate ``Activation`` layer are read as one
    layer; models without an input shape, 2-D and 3-D image inputs,
    convolutional models (not an MLP, but their loss, output layer, labels,
    penalty and optimizer are checked), Functional models, Sequential
    subclasses, optimizer objects, learning-rate schedules and any Keras 3
    loss are accepted.

    Parameters
    ----------
    model : keras.Model
        A compiled Keras model with one input and one output.

    n_samples : int, default=None
        Number of training samples ``m``; ``len(X)`` when ``X`` is given.
        Needed without ``X``, to express the penalty in the course's terms.

    X : array-like of shape (n_samples, ...), default=None
        The training inputs, as passed to ``model.fit``.

    y : array-like of shape (n_samples,) or (n_samples, n_classes), default=None
        The training labels as passed to ``model.fit``: integer labels or
        one-hot rows. With ``X``, the probe measures what each fix does.

    epochs : int, default=None
        Number of epochs the model is trained for; None: those of the model's
        last ``fit``, else Keras's default (1).

    batch_size : int, default=None
        Minibatch size of the training; None: that of the model's last
        ``fit``, else Keras's default (32).

    lambda_ : float, default=1.0
        The course's ``lambda`` the penalty should amount to.

    time_budget : float, default=30.0
        Seconds the probe may train for, all runs together. A run that would
        not fit in what is left is not started; the first run is cut at its
        share of the budget and every run then takes as many steps.

    Returns
    -------
    diagnosis : KerasDiagnosis
        ``findings`` (each with ``kind``, ``'stops-training'`` or
        ``'departure'``, ``effect``, the training accuracy before and after
        the fix or None when not measured, and ``str()``, the sentence);
        ``print(diagnosis)`` gives the report, iterating it the findings.

    See Also
    --------
    build_keras_model : The course's network in Keras.

    Examples
    --------
    >>> import keras
    >>> from skdigits.course import build_keras_model, diagnose_keras_model
    >>> [f.kind for f in diagnose_keras_model(
    ...     build_keras_model(n_samples=1797), n_samples=1797)]
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
    >>> diagnosis = diagnose_keras_model(
    ...     seed, n_samples=1797, epochs=100, batch_size=1797)
    >>> [(f.kind, f.check, f.effect) for f in diagnosis][:3]
    [('stops-training', 'penalty', None), ('stops-training', 'optimizer', None),
     ('departure', 'course', None)]
    """
    require_keras("diagnose_keras_model")
    import keras

    from skdigits._keras.diagnosis import diagnose

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}.")
    if y is not None and X is None:
        raise ValueError("y was given without X: pass both to measure.")
    if X is not None:
        n_rows = _n_rows(X)
        if n_samples is not None and n_samples != n_rows:
            raise ValueError(
                f"X has {n_rows} samples but n_samples={n_samples}; pass the "
                "training set and its size."
            )
        if y is not None and _n_rows(y) != n_rows:
            raise ValueError(
                f"X has {n_rows} samples but y has {_n_rows(y)}: pass the labels "
                "of X's rows."
            )
        n_samples = n_rows if n_samples is None else n_samples
    if n_samples is None:
        raise ValueError("Pass n_samples (the number of training samples) or X.")
    if not isinstance(n_samples, Integral) or isinstance(n_samples, bool):
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if not isinstance(lambda_, Real) or not lambda_ >= 0:
        raise ValueError(f"lambda_ must be a non-negative number, got {lambda_!r}.")
    if (
        not isinstance(time_budget, Real)
        or isinstance(time_budget, bool)
        or not time_budget > 0
        or not np.isfinite(time_budget)
    ):
        raise ValueError(
            f"time_budget must be a positive number of seconds, got {time_budget!r}."
        )
    for name, value in dict(epochs=epochs, batch_size=batch_size).items():
        if value is not None and (
            not isinstance(value, Integral) or isinstance(value, bool) or value < 1
        ):
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return diagnose(
        model,
        n_samples=int(n_samples),
        X=X,
        y=y,
        epochs=epochs,
        batch_size=batch_size,
        lambda_=lambda_,
        time_budget=float(time_budget),
    )


def _n_rows(a):
    shape = getattr(a, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(a)
    except TypeError:
        raise ValueError(f"Expected an array, got {type(a).__name__}.") from None
