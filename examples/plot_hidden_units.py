"""
========================================
What the hidden units of the network see
========================================

Each of the 25 hidden units of the course's network weighs the 400 pixels of a
digit; drawn as a 20x20 picture, those weights show the strokes the unit
responds to (the course's "visualizing the hidden layer").
:func:`skdigits.plotting.plot_hidden_units` draws them for a fitted
:class:`~skdigits.MLPDigitClassifier`. We compare a network trained with the
course's penalty (``alpha = 1``) with an almost unregularised one, on 5000
real MNIST digits at the course's 20x20 resolution
(:func:`~skdigits.datasets.load_mnist_5k`).
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.exceptions import ConvergenceWarning

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_mnist_5k
from skdigits.plotting import plot_hidden_units

X, y = load_mnist_5k(return_X_y=True)  # 20x20 pixels, column-major as the course

fig, axes = plt.subplots(1, 2, figsize=(9, 4.8))
for ax, alpha in zip(axes, [1.0, 1e-4]):
    clf = MLPDigitClassifier(solver="cg", max_iter=50, alpha=alpha, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    plot_hidden_units(clf, image_shape=(20, 20), order="F", ax=ax)
    ax.set_title(f"alpha = {alpha:g}: training accuracy {clf.score(X, y):.3f}")
fig.tight_layout()
plt.show()

# %%
# With the penalty the weights are smooth blobs and strokes; without it they
# are noisier, fitting individual pixels of the training digits.
