"""skdigits: handwritten-digit classification with backpropagation networks.

A scikit-learn compatible multi-layer perceptron, :class:`MLPDigitClassifier`,
with a NumPy and a Keras backend that optimise the same objective, and
:mod:`skdigits.course`, a companion to exercise 4 of the Machine Learning course.
"""

from skdigits._classifier import MLPDigitClassifier
from skdigits._version import __version__

__all__ = ["MLPDigitClassifier", "__version__"]
