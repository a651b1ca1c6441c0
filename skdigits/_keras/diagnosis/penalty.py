"""The L2 factors of a Keras model against the course's ``lambda / (2m)``."""

import math
from dataclasses import dataclass

import keras

from skdigits._keras.diagnosis.common import names


def _close(a, b):
    # Keras's L2 keeps its factor in float32: compare to that precision.
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)


def _l2_factor(regularizer):
    """``(l2, l1)`` factors of a Keras regularizer; ``None`` if not L1/L2."""
    if regularizer is None:
        return 0.0, 0.0
    if isinstance(regularizer, keras.regularizers.L1L2):
        return float(regularizer.l2), float(regularizer.l1)
    if isinstance(regularizer, keras.regularizers.L2):
        return float(regularizer.l2), 0.0
    if isinstance(regularizer, keras.regularizers.L1):
        return 0.0, float(regularizer.l1)
    return None


def penalty_consistency(dense, n_samples, lambda_, scale):
    """'scaled' when every L2 factor is the course's times the data scale,
    'course' when every one is the course's own, else None."""
    factors = [_l2_factor(layer.kernel_regularizer) for layer in dense]
    if any(f is None for f in factors):
        return None
    course = lambda_ / (2 * n_samples)
    l2s = [f[0] for f in factors]
    if all(_close(c, scale * course) for c in l2s):
        return "scaled"
    if all(_close(c, course) for c in l2s):
        return "course"
    return None


@dataclass(frozen=True)
class _Target:
    """The course's penalty for this model: ``lambda_``, ``m`` and the data
    term's scale (the model's loss over the course's)."""

    lambda_: float
    n_samples: int
    scale: float
    K: int  # output units

    @property
    def course(self):
        return self.lambda_ / (2 * self.n_samples)

    @property
    def unscaled(self):
        return math.isclose(self.scale, 1.0, rel_tol=1e-6)

    def fix(self):
        """The L2 factor to use instead, as a formula."""
        lambda_, m, K = self.lambda_, self.n_samples, self.K
        course, scale = self.course, self.scale
        if self.unscaled:
            return f"l2({lambda_:g} / (2 * {m})) = l2({course:.3g})"
        if math.isclose(scale * K, 1.0, rel_tol=1e-6):
            return (
                f"l2({lambda_:g} / (2 * {m} * {K})) = l2({scale * course:.3g}) "
                f"(binary_crossentropy averages over the {K} outputs)"
            )
        return f"l2({scale:.4g} * {lambda_:g} / (2 * {m})) = l2({scale * course:.3g})"


def _layer_findings(layer, target):
    """Findings on one layer's regularizers, and its kernel's L2 factor when
    that is neither the course's nor the course's times the scale (else None).

    The objective is the data term times ``scale`` plus the penalty, so the
    course's factor is ``scale * lambda / (2m)``; the course's own factor under
    a scaled loss is left to the loss's finding.
    """
    factors = _l2_factor(layer.kernel_regularizer)
    if factors is None:
        return [
            f"Layer {layer.name!r} has a {type(layer.kernel_regularizer).__name__}"
            " kernel regularizer; the course's penalty is an L2 penalty."
        ], None
    l2, l1 = factors
    findings = []
    if l1:
        findings.append(
            f"Layer {layer.name!r} has an L1 kernel penalty ({l1:g}); the "
            "course's penalty is L2 only."
        )
    off = not (_close(l2, target.scale * target.course) or _close(l2, target.course))
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
    return findings, (l2 if off else None)


def _factor_finding(l2, layers, target):
    """The finding on the kernels of ``layers``, which carry the L2 factor
    ``l2``."""
    lambda_, m, scale = target.lambda_, target.n_samples, target.scale
    if l2 == 0:
        return (
            f"The kernels of {names(layers)} are not penalised (the course's "
            f"lambda = 0); for lambda = {lambda_:g} use {target.fix()}."
        )
    implied = l2 * 2 * m / scale
    if target.unscaled:
        how = f"{l2:g} * 2 * m = {l2:g} * 2 * {m}"
    else:
        how = (
            f"{l2:g} * 2 * m / {scale:.4g} = {l2:g} * 2 * {m} / "
            f"{scale:.4g} (the loss is {scale:.4g} times the course's)"
        )
    finding = (
        f"The kernels of {names(layers)} carry an L2 factor of {l2:g}, which is "
        f"the course's lambda = {how} = {implied:.4g}, not lambda = {lambda_:g}: "
        "Keras adds c * sum(W**2) to the mean loss while the course adds "
        f"lambda / (2m) * sum(W**2). For lambda = {lambda_:g} use {target.fix()}."
    )
    return finding


def check_penalty(dense, n_samples, lambda_, scale=1.0):
    """The penalty's departures from the course's ``lambda / (2m)``."""
    target = _Target(lambda_, n_samples, scale, dense[-1].units)
    findings, by_factor = [], {}
    for layer in dense:
        layer_findings, off_factor = _layer_findings(layer, target)
        findings += layer_findings
        if off_factor is not None:
            by_factor.setdefault(off_factor, []).append(layer)
    for l2, layers in by_factor.items():
        findings.append(_factor_finding(l2, layers, target))
    return findings
