"""
=================================
NumPy and Keras backends, one fit
=================================

``backend="numpy"`` and ``backend="keras"`` compute the same objective, one with
NumPy's hand-written backpropagation, the other with TensorFlow's automatic
differentiation. With a full-batch solver both are driven by the same SciPy
optimizer from the same initial weights, so the same ``random_state`` gives the
same fit up to rounding. This example fits the course's network both ways and
compares the loss curves. It needs the ``keras`` extra.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_digits

X, y = load_digits(size=20, return_X_y=True)

fits = {}
for backend in ("numpy", "keras"):
    clf = MLPDigitClassifier(
        solver="lbfgs", max_iter=100, backend=backend, random_state=0
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    fits[backend] = (clf, time.perf_counter() - start)
    print(
        f"{backend:>5}: final loss {clf.loss_:.10f} after {clf.n_iter_} iterations, "
        f"{fits[backend][1]:.1f} s, training accuracy {clf.score(X, y):.4f}"
    )

np_clf, keras_clf = fits["numpy"][0], fits["keras"][0]
first = np.array(np_clf.loss_curve_[:10])
rel = np.abs(np.array(keras_clf.loss_curve_[:10]) - first) / first
print(f"first 10 iterations: largest relative difference {rel.max():.1e}")
print(f"final loss: relative difference {abs(keras_clf.loss_ / np_clf.loss_ - 1):.1e}")
print(
    "same predictions on the training digits:",
    bool(np.all(np_clf.predict(X) == keras_clf.predict(X))),
)

# %%
# The two loss curves lie on top of each other.

fig, ax = plt.subplots(figsize=(6, 3.5))
for backend, style in (("numpy", "-"), ("keras", "--")):
    clf = fits[backend][0]
    ax.plot(np.arange(1, clf.n_iter_ + 1), clf.loss_curve_, style, label=backend)
ax.set_yscale("log")
ax.set_xlabel("L-BFGS iteration")
ax.set_ylabel("objective J")
ax.legend()
fig.tight_layout()
plt.show()
