"""A Keras model's layers against the course's network (departures only)."""

from skdigits._keras.diagnosis.common import names


def _grouped(layers, key):
    """``layers`` grouped by ``key(layer)``, in order of first appearance."""
    groups = {}
    for layer in layers:
        groups.setdefault(key(layer), []).append(layer)
    return groups


def check_layers(facts):
    """Where the layers depart from the course's fully connected sigmoid
    network; none of these keeps a model from training."""
    findings = []
    if facts.convolutional:
        kinds = sorted({type(layer).__name__ for layer in facts.convolutional})
        findings.append(
            f"The model has {', '.join(kinds)} layers: it is not an MLP like the "
            "course's network; its loss, output layer, labels, penalty and "
            "optimizer are checked as for one."
        )
    for kind, layers in _grouped(
        facts.other_layers, lambda a: type(a).__name__
    ).items():
        findings.append(
            f"{names(layers)[0].upper()}{names(layers)[1:]} "
            f"{'is a' if len(layers) == 1 else 'are'} {kind} "
            f"layer{'s' if len(layers) > 1 else ''}, which the course's network "
            "(fully connected sigmoid layers) does not have."
        )
    hidden = [
        layer for layer in facts.dense[:-1] if facts.activation(layer) != "sigmoid"
    ]
    for name, layers in _grouped(hidden, facts.activation).items():
        findings.append(
            f"Hidden {names(layers)} use{'s' if len(layers) == 1 else ''} the "
            f"{name} activation; the course's hidden units are sigmoid."
        )
    return findings
