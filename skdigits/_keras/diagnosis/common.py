"""What the diagnosis checks share: names, and the loss compared with the course's."""

import keras

from skdigits._keras.layers import CourseCrossEntropy

# Keras's loss functions and classes, by the kind of cross-entropy they compute.
_LOSS_FUNCTIONS = {
    keras.losses.categorical_crossentropy: "categorical",
    keras.losses.categorical_focal_crossentropy: "categorical",
    keras.losses.binary_crossentropy: "binary",
    keras.losses.binary_focal_crossentropy: "binary",
    keras.losses.sparse_categorical_crossentropy: "sparse categorical",
}
_LOSS_CLASSES = {
    keras.losses.CategoricalCrossentropy: "categorical",
    keras.losses.CategoricalFocalCrossentropy: "categorical",
    keras.losses.BinaryCrossentropy: "binary",
    keras.losses.BinaryFocalCrossentropy: "binary",
    keras.losses.SparseCategoricalCrossentropy: "sparse categorical",
}


def names(layers):
    """``layer 'a'`` or ``layers 'a', 'b' and 'c'``."""
    quoted = [repr(layer.name) for layer in layers]
    if len(quoted) == 1:
        return f"layer {quoted[0]}"
    return "layers " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


def describe_loss(loss):
    """``(kind, from_logits, loss)``, kind 'course', 'categorical', 'binary'..."""
    if isinstance(loss, str):
        loss = keras.losses.get(loss)
    if isinstance(loss, CourseCrossEntropy):
        kind = "course" if loss.out_activation == "logistic" else "categorical"
        return kind, loss.from_logits, loss
    if loss in _LOSS_FUNCTIONS:
        return _LOSS_FUNCTIONS[loss], False, loss
    for cls, kind in _LOSS_CLASSES.items():
        if isinstance(loss, cls):
            return kind, bool(loss.get_config().get("from_logits", False)), loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", repr(loss))
    return f"other:{name}", False, loss


def loss_weight(model):
    """The single-output ``loss_weights`` factor the model was compiled with."""
    weights = model.get_compile_config().get("loss_weights")
    if isinstance(weights, dict):
        weights = list(weights.values())
    if isinstance(weights, list | tuple):
        weights = weights[0] if len(weights) == 1 else None
    return 1.0 if weights is None else float(weights)


def data_scale(model, output):
    """The model's data term over the course's (1 when not comparable); the
    model is compiled."""
    kind = describe_loss(model.loss)[0]
    if kind == "binary":
        return loss_weight(model) / output.units
    if kind == "course":
        return loss_weight(model)
    return 1.0
