"""A Keras model's layers against the course's network (departures only)."""


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
    for layer in facts.other_layers:
        findings.append(
            f"Layer {layer.name!r} is a {type(layer).__name__} layer, which "
            "the course's network (fully connected sigmoid layers) does not "
            "have."
        )
    for layer in facts.dense[:-1]:
        name = facts.activation(layer)
        if name != "sigmoid":
            findings.append(
                f"Hidden layer {layer.name!r} uses the {name} activation; the "
                "course's hidden units are sigmoid."
            )
    return findings
