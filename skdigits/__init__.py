"""skdigits: handwritten-digit classification with backpropagation networks.

A scikit-learn compatible multi-layer perceptron, :class:`MLPDigitClassifier`,
with a NumPy and a Keras backend that optimise the same objective, and
:mod:`skdigits.course`, a companion to exercise 4 of the Machine Learning course.
"""

from skdigits._version import __version__

__all__ = ["MLPDigitClassifier", "__version__"]


_SUBMODULES = ("course", "datasets", "plotting")


# The estimator and the public submodules are imported on first use (PEP 562):
# the estimator needs scikit-learn, whose own import takes about a second, and
# ``import skdigits`` (for the version, say) should not pay for it.
# ``skdigits.datasets`` works without an explicit import, as in SciPy.
def __getattr__(name):
    if name == "MLPDigitClassifier":
        from skdigits._classifier import MLPDigitClassifier

        return MLPDigitClassifier
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"skdigits.{name}")
    raise AttributeError(f"module 'skdigits' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__, *_SUBMODULES})
