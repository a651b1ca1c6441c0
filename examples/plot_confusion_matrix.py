"""
=============================================
Confusion matrix and the misclassified digits
=============================================

Accuracy is one number; a confusion matrix shows which digits are taken for
which. This example trains the course's network the course's way (50
iterations of conjugate gradient) on three quarters of 5000 real MNIST
digits at the course's 20x20 resolution
(:func:`~skdigits.datasets.load_mnist_5k`), draws the confusion matrix of the
remaining quarter with scikit-learn's
:class:`~sklearn.metrics.ConfusionMatrixDisplay`, and then
looks at the digits it got wrong.
"""

# %%
# Train the course's network
# --------------------------

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import train_test_split

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_mnist_5k

digits = load_mnist_5k()
X_train, X_test, y_train, y_test, images_train, images_test = train_test_split(
    digits.data,
    digits.target,
    digits.images,
    test_size=0.25,
    stratify=digits.target,
    random_state=0,
)

clf = MLPDigitClassifier(solver="cg", max_iter=50, random_state=0)
with warnings.catch_warnings():
    # The course's 50 iterations stop before the solver's own criterion.
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X_train, y_train)
y_pred = clf.predict(X_test)
print(f"training accuracy {clf.score(X_train, y_train):.3f}")
print(f"test accuracy {np.mean(y_pred == y_test):.3f} on {len(y_test)} digits")

# %%
# The confusion matrix
# --------------------
# Row: the true digit; column: the prediction. The diagonal counts the correct
# predictions; every other cell is one kind of mistake.

fig, ax = plt.subplots(figsize=(6, 5.5))
ConfusionMatrixDisplay.from_predictions(y_test, y_pred, ax=ax, colorbar=False)
ax.set_title("Held-out digits: true (rows) vs predicted (columns)")
fig.tight_layout()
plt.show()

# %%
# The misclassified digits
# ------------------------
# The most confident mistakes, each image with its true digit, the prediction,
# and the probability ``predict_proba`` gave to the prediction. The images are
# the 20x20 inputs the network saw, upright.

wrong = np.flatnonzero(y_pred != y_test)
confidence = clf.predict_proba(X_test[wrong]).max(axis=1)
by_confidence = np.argsort(-confidence)[:24]  # the 24 most confident mistakes

n_cols = 6
n_rows = max(1, int(np.ceil(len(by_confidence) / n_cols)))
fig, axes = plt.subplots(
    n_rows, n_cols, figsize=(1.8 * n_cols, 2.4 * n_rows), squeeze=False
)
for ax in axes.ravel():
    ax.set_axis_off()
for ax, k in zip(axes.ravel(), by_confidence):
    i = wrong[k]
    ax.imshow(images_test[i], cmap="gray_r", vmin=0, vmax=1)  # upright
    ax.set_title(
        f"true {y_test[i]}, said {y_pred[i]}\np = {confidence[k]:.2f}", fontsize=9
    )
fig.suptitle(
    f"The {len(by_confidence)} most confident of the {len(wrong)} misclassified "
    "test digits"
)
fig.tight_layout()
plt.show()

# %%
# Many of these are digits a person would hesitate over too: a 4 closed at the
# top, a 7 with a bar through it, a 9 that is nearly a 4. The confident
# mistakes are the ones worth a closer look: a probability near 1 for a wrong
# digit means the network saw a clear pattern, just not the one its label
# says. Twenty-five hidden units and 3750 training digits are the course's
# small network; more data or units fix many of these.
