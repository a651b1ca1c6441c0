"""The course's network in Keras, and a check of a user's Keras model against it.

Keras is imported inside the functions, so importing this module (or
``skdigits.course``, which re-exports both functions) never loads TensorFlow.
"""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array

from skdigits._keras import require_keras
from skdigits._network import initial_theta

# A penalty this many times the course's lambda (or above lambda = this when
# lambda <= 1) pins the weights to zero: diagnosed first, with its effect.
_PINNING_RATIO = 100.0

# Measured on the bundled 20x20 digits, course network and cost, full batch
# (see examples/plot_keras_pitfalls.py): plain gradient descent reaches 12%
# training accuracy after a total step (learning rate x steps) of 1, 60% after
# 10 and 93% after 100; Adam reaches 20% after 100 steps of 0.01 and 95% after
# 100 steps of 0.1.
_SGD_TOTAL_STEP_NEEDED = 100.0
_ADAPTIVE_TOTAL_STEP_NEEDED = 3.0
_FEW_STEPS = 1000

# The course's pixel intensities (ex4data1.mat) lie within about [-0.13, 1.13].
_MAX_SCALED_INPUT = 2.0

_NEUTRAL_LAYERS = ("InputLayer", "Flatten", "Reshape", "Rescaling")


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

    sizes = dict(
        input_layer_size=input_layer_size,
        hidden_layer_size=hidden_layer_size,
        num_labels=num_labels,
        n_samples=n_samples,
    )
    for name, value in sizes.items():
        if not isinstance(value, Integral) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    for name, value in dict(
        lambda_=lambda_, epsilon_init=epsilon_init, learning_rate=learning_rate
    ).items():
        if not isinstance(value, Real) or not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number, got {value!r}.")

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
    scale = _data_scale(model, dense[-1])
    penalty, dominant = _check_penalty(dense, n_samples, lambda_, scale)
    consistency = _penalty_consistency(dense, n_samples, lambda_, scale)
    layers = _check_layers(model, dense)
    # What breaks training first comes first: a penalty that pins every weight
    # to zero, then the layers, the rest of the penalty, the loss.
    findings = penalty + layers if dominant else layers + penalty
    findings += _check_loss(model, dense[-1], consistency)
    if X is not None:
        findings += _check_inputs(model, X, n_samples)
    findings += _check_optimizer(model, n_samples, epochs, batch_size)
    return findings


def _activation_name(layer):
    return getattr(layer.activation, "__name__", str(layer.activation))


def _check_layers(model, dense):
    import keras

    findings = []
    for layer in model.layers:
        if not isinstance(layer, keras.layers.Dense | keras.layers.InputLayer):
            if type(layer).__name__ not in _NEUTRAL_LAYERS:
                findings.append(
                    f"Layer {layer.name!r} is a {type(layer).__name__} layer, which "
                    "the course's network (fully connected sigmoid layers) does not "
                    "have."
                )
    for layer in dense[:-1]:
        name = _activation_name(layer)
        if name != "sigmoid":
            findings.append(
                f"Hidden layer {layer.name!r} uses the {name} activation; the "
                "course's hidden units are sigmoid."
            )
    return findings


def _l2_factor(regularizer):
    """``(l2, l1)`` factors of a Keras regularizer; ``None`` if not L1/L2."""
    import keras

    if regularizer is None:
        return 0.0, 0.0
    if isinstance(regularizer, keras.regularizers.L1L2):
        return float(regularizer.l2), float(regularizer.l1)
    if isinstance(regularizer, keras.regularizers.L2):
        return float(regularizer.l2), 0.0
    if isinstance(regularizer, keras.regularizers.L1):
        return 0.0, float(regularizer.l1)
    return None


def _names(layers):
    names = [repr(layer.name) for layer in layers]
    if len(names) == 1:
        return f"layer {names[0]}"
    return "layers " + ", ".join(names[:-1]) + " and " + names[-1]


def _data_scale(model, output):
    """The model's data term over the course's (1 when not comparable)."""
    if not getattr(model, "compiled", False) or model.loss is None:
        return 1.0
    kind = _describe_loss(model.loss)[0]
    if kind == "binary":
        return _loss_weight(model) / output.units
    if kind == "course":
        return _loss_weight(model)
    return 1.0


def _penalty_consistency(dense, n_samples, lambda_, scale):
    """'scaled' when every L2 factor is the course's times the data scale,
    'course' when every one is the course's own, else None."""
    factors = [_l2_factor(layer.kernel_regularizer) for layer in dense]
    if any(f is None for f in factors):
        return None
    course = lambda_ / (2 * n_samples)
    l2s = [f[0] for f in factors]
    if all(math.isclose(c, scale * course, rel_tol=1e-6, abs_tol=1e-12) for c in l2s):
        return "scaled"
    if all(math.isclose(c, course, rel_tol=1e-6, abs_tol=1e-12) for c in l2s):
        return "course"
    return None


def _pinned_effect(dense, implied, n_samples, K):
    """The effect of a penalty far above the course's, in one sentence."""
    n_weights = sum(int(np.prod(layer.kernel.shape)) for layer in dense)
    per_square = implied / (2 * n_samples)
    budget = K * math.log(2) / per_square
    rms = math.sqrt(budget / n_weights)
    return (
        f" Effect: each squared weight costs {per_square:.3g}, while all the "
        f"cross-entropy the weights can remove is at most K log 2 = "
        f"{K * math.log(2):.3g}, so the weights stay within a sum of squares of "
        f"{budget:.3g} (about {rms:.2g} per weight over {n_weights} weights): "
        "near the minimum every image gets nearly the same outputs and the "
        f"network predicts one class, about 1/K = {100 / K:.0f}% accuracy. "
        "Changing the activations, the output layer or the optimizer does not "
        "fix this; see the documentation's Keras pitfalls page."
    )


def _check_penalty(dense, n_samples, lambda_, scale=1.0):
    """Penalty findings, and whether the penalty dominates the objective."""
    findings = []
    dominant = False
    course = lambda_ / (2 * n_samples)
    K = dense[-1].units
    by_factor = {}
    for layer in dense:
        factors = _l2_factor(layer.kernel_regularizer)
        if factors is None:
            findings.append(
                f"Layer {layer.name!r} has a {type(layer.kernel_regularizer).__name__}"
                " kernel regularizer; the course's penalty is an L2 penalty."
            )
            continue
        l2, l1 = factors
        if l1:
            findings.append(
                f"Layer {layer.name!r} has an L1 kernel penalty ({l1:g}); the "
                "course's penalty is L2 only."
            )
        # Keras's L2 keeps its factor in float32: compare to that precision.
        # The objective is the data term times `scale` plus the penalty, so
        # the course's factor is scale * lambda / (2m); the course's own factor
        # under a scaled loss is left to the loss's finding.
        if not (
            math.isclose(l2, scale * course, rel_tol=1e-6, abs_tol=1e-12)
            or math.isclose(l2, course, rel_tol=1e-6, abs_tol=1e-12)
        ):
            by_factor.setdefault(l2, []).append(layer)
        if layer.bias_regularizer is not None:
            findings.append(
                f"Layer {layer.name!r} regularises its biases; the course leaves "
                "the bias weights out of the penalty."
            )
        if layer.activity_regularizer is not None:
            findings.append(
                f"Layer {layer.name!r} has an activity regularizer, which the "
                "course's cost does not have."
            )
    if math.isclose(scale, 1.0, rel_tol=1e-6):
        fix = f"l2({lambda_:g} / (2 * {n_samples})) = l2({course:.3g})"
    elif math.isclose(scale * K, 1.0, rel_tol=1e-6):
        fix = (
            f"l2({lambda_:g} / (2 * {n_samples} * {K})) = l2({scale * course:.3g}) "
            f"(binary_crossentropy averages over the {K} outputs)"
        )
    else:
        fix = (
            f"l2({scale:.4g} * {lambda_:g} / (2 * {n_samples})) = "
            f"l2({scale * course:.3g})"
        )
    for l2, layers in by_factor.items():
        if l2 == 0:
            findings.append(
                f"The kernels of {_names(layers)} are not penalised (the course's "
                f"lambda = 0); for lambda = {lambda_:g} use {fix}."
            )
            continue
        implied = l2 * 2 * n_samples / scale
        if math.isclose(scale, 1.0, rel_tol=1e-6):
            how = f"{l2:g} * 2 * m = {l2:g} * 2 * {n_samples}"
        else:
            how = (
                f"{l2:g} * 2 * m / {scale:.4g} = {l2:g} * 2 * {n_samples} / "
                f"{scale:.4g} (the loss is {scale:.4g} times the course's)"
            )
        finding = (
            f"The kernels of {_names(layers)} carry an L2 factor of {l2:g}, which is "
            f"the course's lambda = {how} = {implied:.4g}, not lambda = {lambda_:g}: "
            "Keras adds c * sum(W**2) to the mean loss while the course adds "
            f"lambda / (2m) * sum(W**2). For lambda = {lambda_:g} use {fix}."
        )
        if implied >= _PINNING_RATIO * max(lambda_, 1.0):
            dominant = True
            finding += _pinned_effect(dense, implied, n_samples, K)
        findings.append(finding)
    return findings, dominant


def _describe_loss(loss):
    """``(kind, from_logits, loss)``, kind 'course', 'categorical', 'binary'..."""
    import keras

    from skdigits._keras.layers import CourseCrossEntropy

    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    if isinstance(loss, CourseCrossEntropy):
        kind = "course" if loss.out_activation == "logistic" else "categorical"
        return kind, loss.from_logits, loss
    functions = {
        keras.losses.categorical_crossentropy: "categorical",
        keras.losses.binary_crossentropy: "binary",
        keras.losses.sparse_categorical_crossentropy: "sparse categorical",
    }
    if loss in functions:
        return functions[loss], False, loss
    classes = {
        keras.losses.CategoricalCrossentropy: "categorical",
        keras.losses.BinaryCrossentropy: "binary",
        keras.losses.SparseCategoricalCrossentropy: "sparse categorical",
    }
    for cls, kind in classes.items():
        if isinstance(loss, cls):
            return kind, bool(loss.get_config().get("from_logits", False)), loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", repr(loss))
    return f"other:{name}", False, loss


def _check_loss(model, output, penalty="course"):
    if not getattr(model, "compiled", False) or model.loss is None:
        return [
            "The model is not compiled with a loss, so its cost cannot be checked; "
            "the course's cost is the binary cross-entropy summed over the sigmoid "
            "output units."
        ]
    kind, from_logits, loss = _describe_loss(model.loss)
    activation = _activation_name(output)
    n_outputs = output.units
    findings = []
    if kind.startswith("other:"):
        return [
            f"The loss {kind[6:]!r} is not the course's cost, the binary "
            "cross-entropy summed over the sigmoid output units."
        ]
    smoothing = getattr(loss, "get_config", dict)().get("label_smoothing", 0)
    if smoothing:
        findings.append(
            f"The loss smooths the labels ({smoothing:g}); the course fits the "
            "one-hot labels themselves."
        )
    if activation in ("sigmoid", "softmax") and from_logits:
        findings.append(
            f"The loss expects logits but the output layer {output.name!r} already "
            f"applies a {activation}: it is applied twice."
        )
    elif activation == "linear" and not from_logits:
        findings.append(
            f"The output layer {output.name!r} is linear (logits) but the loss "
            "expects probabilities; pass from_logits=True, or use sigmoid outputs."
        )
    elif activation not in ("sigmoid", "softmax", "linear"):
        findings.append(
            f"The output layer {output.name!r} uses the {activation} activation; "
            "the course's output units are sigmoid."
        )
    if kind in ("categorical", "sparse categorical"):
        if activation == "sigmoid":
            findings.append(
                f"The loss is {kind} cross-entropy on a sigmoid output layer: Keras "
                "3 computes it as the softmax cross-entropy of the pre-sigmoid "
                "logits. The classes can still be ranked right, but the sigmoid "
                "units are not fitted as the course's one-vs-all probabilities "
                "and the course's cost stays high. The course's cost is the "
                f"binary cross-entropy summed over the {n_outputs} sigmoid units."
            )
        else:
            findings.append(
                f"The loss is {kind} cross-entropy on softmax outputs: a sound "
                "objective (skdigits' out_activation='softmax'), but not the "
                "course's, which sums the binary cross-entropy of one sigmoid unit "
                "per class."
            )
    elif kind in ("binary", "course"):
        if kind == "course" and activation == "softmax":
            findings.append(
                "The loss sums the binary cross-entropy over softmax outputs; the "
                "course's outputs are sigmoid units."
            )
        # The data term relative to the course's: Keras's binary cross-entropy
        # averages over the units, and compile(loss_weights=w) multiplies it.
        weight = _loss_weight(model)
        scale = weight / n_outputs if kind == "binary" else weight
        if not math.isclose(scale, 1.0, rel_tol=1e-6) and penalty == "scaled":
            # The penalty is scaled alike: the course's objective times a
            # constant, the same minimum. A note, not a mistake.
            findings.append(
                f"Note: the loss is {scale:.4g} times the course's data term and "
                f"the L2 factors are scaled alike, so the objective is the course's "
                f"times {scale:.4g}, with the same minimum; the loss Keras prints "
                f"is the course's J times {scale:.4g}."
            )
        elif not math.isclose(scale, 1.0, rel_tol=1e-6):
            what = (
                f"Keras's binary cross-entropy averages over the {n_outputs} output "
                "units where the course sums them"
                if kind == "binary"
                else "The loss is the course's"
            )
            if weight != 1:
                what += f", and compile(loss_weights={weight:g}) multiplies it"
            findings.append(
                f"{what}: the data term is {scale:.4g} times the course's, as if "
                f"lambda were {1 / scale:.4g} times larger. Sum the binary "
                "cross-entropy over the units (or pass loss_weights="
                f"{n_outputs if kind == 'binary' else 1})"
                + (
                    f", or keep the mean and divide the L2 factors by {n_outputs}: "
                    f"l2(lambda / (2 * m * {n_outputs}))."
                    if kind == "binary"
                    else "."
                )
            )
    return findings


def _loss_weight(model):
    """The single-output ``loss_weights`` factor the model was compiled with."""
    weights = model.get_compile_config().get("loss_weights")
    if isinstance(weights, dict):
        weights = list(weights.values())
    if isinstance(weights, list | tuple):
        weights = weights[0] if len(weights) == 1 else None
    return 1.0 if weights is None else float(weights)


def _check_inputs(model, X, n_samples):
    import keras

    X = check_array(X, accept_sparse="csr", dtype=(np.float64, np.float32))
    if X.shape[0] != n_samples:
        raise ValueError(
            f"X has {X.shape[0]} samples but n_samples={n_samples}; pass the "
            "training set and its size."
        )
    n_inputs = model.inputs[0].shape[-1] if model.inputs else None
    if n_inputs is not None and X.shape[1] != n_inputs:
        raise ValueError(
            f"X has {X.shape[1]} features but the model takes {n_inputs} inputs."
        )
    low, high = float(X.min()), float(X.max())
    for layer in model.layers:
        if isinstance(layer, keras.layers.Rescaling):
            scale, offset = float(np.max(layer.scale)), float(np.max(layer.offset))
            low, high = sorted((low * scale + offset, high * scale + offset))
    if max(abs(low), abs(high)) > _MAX_SCALED_INPUT:
        return [
            f"The inputs range over [{low:g}, {high:g}]; the course's pixel "
            "intensities lie within about [-0.13, 1.13]. With sigmoid units and "
            "initial weights of +-0.12, inputs this large saturate the hidden "
            "units; scale them to [0, 1] first (for example with MinMaxScaler)."
        ]
    return []


def _check_optimizer(model, n_samples, epochs, batch_size):
    history = getattr(getattr(model, "history", None), "params", None) or {}
    if epochs is None:
        epochs = history.get("epochs")
    if batch_size is None and history.get("steps"):
        steps_per_epoch = int(history["steps"])
    else:
        steps_per_epoch = math.ceil(n_samples / (batch_size or 32))
    optimizer = getattr(model, "optimizer", None)
    if epochs is None or optimizer is None or steps_per_epoch != 1:
        return []
    try:
        learning_rate = float(np.asarray(optimizer.learning_rate))
    except TypeError:  # a schedule
        return []
    name = type(optimizer).__name__
    if name == "SGD":
        momentum = float(getattr(optimizer, "momentum", 0.0))
        total = epochs * learning_rate / (1 - momentum) if momentum < 1 else np.inf
        needed, what = _SGD_TOTAL_STEP_NEEDED, "learning rate x steps / (1 - momentum)"
    else:
        total = epochs * learning_rate
        needed, what = _ADAPTIVE_TOTAL_STEP_NEEDED, "learning rate x steps"
    if epochs >= _FEW_STEPS or total >= needed:
        return []
    return [
        f"{name} will take {epochs} full-batch steps of learning rate "
        f"{learning_rate:g}: a total step ({what}) of {total:.3g}, where about "
        f"{needed:g} are needed on the course's problem (measured on the bundled "
        "20x20 digits, full-batch gradient descent on the course's cost reaches "
        "12% training accuracy after a total of 1 and 93% after 100). The weights "
        "barely leave their initial values: train on minibatches (for example "
        "batch_size=64) with Adam, or take many more or larger steps."
    ]
