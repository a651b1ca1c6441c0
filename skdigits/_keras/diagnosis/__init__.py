"""The checks behind :func:`skdigits.course.diagnose_keras_model`.

``penalty`` (the L2 factors against the course's ``lambda / (2m)``), ``loss``
(the loss against the output layer), ``training`` (the layers, the inputs'
scale, the optimizer's steps) and ``common`` (what they share: how a Keras
loss and its weight compare with the course's cost). These modules import
Keras at the top: :mod:`skdigits._keras.course` imports them only after
:func:`skdigits._keras.require_keras`.
"""

from skdigits._keras.diagnosis.common import data_scale
from skdigits._keras.diagnosis.loss import check_loss
from skdigits._keras.diagnosis.penalty import check_penalty, penalty_consistency
from skdigits._keras.diagnosis.training import (
    check_inputs,
    check_layers,
    check_optimizer,
)


def diagnose(model, dense, *, n_samples, X, epochs, batch_size, lambda_):
    """The findings of every check, in the order they matter.

    ``dense`` holds the model's Dense layers, the output layer last; the
    arguments are checked by the caller.
    """
    scale = data_scale(model, dense[-1])
    penalty, dominant = check_penalty(dense, n_samples, lambda_, scale)
    consistency = penalty_consistency(dense, n_samples, lambda_, scale)
    layers = check_layers(model, dense)
    # What breaks training first comes first: a penalty that pins every weight
    # to zero, then the layers, the rest of the penalty, the loss.
    findings = penalty + layers if dominant else layers + penalty
    findings += check_loss(model, dense[-1], consistency)
    if X is not None:
        findings += check_inputs(model, X, n_samples)
    findings += check_optimizer(model, n_samples, epochs, batch_size)
    return findings
