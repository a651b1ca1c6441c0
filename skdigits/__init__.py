"""skdigits: handwritten-digit classification with backpropagation networks.

A scikit-learn compatible multi-layer perceptron, :class:`MLPDigitClassifier`,
with a NumPy and a Keras backend that optimise the same objective, and
:mod:`skdigits.course`, a companion to exercise 4 of the Machine Learning course.
"""

from skdigits._version import __version__

__all__ = ["MLPDigitClassifier", "__version__"]


# The estimator is imported on first use (PEP 562): it needs scikit-learn,
# whose own import takes about a second, and ``import skdigits`` (for the
# version, the data sets or the course functions) should not pay for it.
def __getattr__(name):
    if name == "MLPDigitClassifier":
        from skdigits._classifier import MLPDigitClassifier

        return MLPDigitClassifier
    raise AttributeError(f"module 'skdigits' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *__all__})
