"""
======================================
Exercise 4 of the course, step by step
======================================

The course's exercise 4 trains a 400-25-10 network of sigmoid units by
backpropagation. This example follows its steps with :mod:`skdigits.course`,
whose functions keep the course's conventions (labels 1..10 with 10 for the
digit 0, weight matrices ``Theta`` of shape ``(n_out, 1 + n_in)``, parameter
vectors unrolled column-major), so each number can be compared with the
course's own. It runs on scikit-learn's bundled digits resampled to the
course's 20x20 layout; with the course's ``ex4data1.mat``, use
:func:`skdigits.datasets.load_course_data` instead.
"""

# %%
# The data, in the course's layout
# --------------------------------
# The course's file stores each image column by column (MATLAB's order) and
# uses the label 10 for the digit 0. We put the bundled digits in that layout,
# and :func:`~skdigits.course.display_data` shows them upright.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdigits import MLPDigitClassifier, course
from skdigits.datasets import load_digits

digits = load_digits(size=20)
X = digits.images.transpose(0, 2, 1).reshape(len(digits.images), -1)  # column-major
y = np.where(digits.target == 0, 10, digits.target)  # labels 1..10
m = X.shape[0]

rng = np.random.RandomState(0)
fig, ax = plt.subplots(figsize=(5, 5))
course.display_data(X[rng.permutation(m)[:100]], ax=ax)
ax.set_title("100 training digits")
plt.show()

# %%
# Sigmoid gradient and random initialisation
# ------------------------------------------
# The course checks ``sigmoidGradient(0) == 0.25`` and draws every weight,
# bias included, uniformly in ``[-0.12, 0.12]``.

print("sigmoid_gradient(0) =", course.sigmoid_gradient(0.0))
Theta1 = course.rand_initialize_weights(400, 25, random_state=0)
Theta2 = course.rand_initialize_weights(25, 10, random_state=1)
print("Theta1", Theta1.shape, "Theta2", Theta2.shape)
nn_params = np.concatenate([Theta1.ravel(order="F"), Theta2.ravel(order="F")])

# %%
# Cost, with and without regularisation
# -------------------------------------
# ``nn_cost_function`` returns the cost and the unrolled gradient. At random
# weights near zero every output is near 0.5, so the cost is close to
# ``10 * ln 2 = 6.93``; the penalty ``lambda / (2m) * sum(Theta**2)`` (bias
# columns excluded) adds a little.

for lambda_ in (0.0, 1.0):
    J, grad = course.nn_cost_function(nn_params, 400, 25, 10, X, y, lambda_)
    print(f"lambda = {lambda_}: cost {J:.6f}, gradient of {grad.size} numbers")

# %%
# Gradient checking
# -----------------
# On the course's small debug network (deterministic ``sin`` weights),
# backpropagation's gradient matches centred finite differences: the relative
# difference should be below 1e-9.

for lambda_ in (0.0, 3.0):
    diff = course.check_nn_gradients(lambda_)
    print(f"lambda = {lambda_}: relative difference {diff:.2e}")

# %%
# Training: 50 iterations of conjugate gradient
# ---------------------------------------------
# The course minimises the cost with ``fmincg`` for 50 iterations. The same
# objective and the same number of nonlinear conjugate-gradient iterations is
# ``MLPDigitClassifier(solver="cg", max_iter=50)``, started from the weights
# drawn above. Its labels are the course's 1..10.

clf = MLPDigitClassifier(solver="cg", max_iter=50, alpha=1.0, init=[Theta1, Theta2])
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # 50 iterations, as the course
    clf.fit(X, y)
print(f"final cost {clf.loss_:.6f} after {clf.n_iter_} iterations")

# %%
# Prediction and training accuracy
# --------------------------------
# The trained weights, back in the course's layout, give the course's
# ``predict``; the estimator predicts the same labels.

Theta1_trained = np.vstack([clf.intercepts_[0], clf.coefs_[0]]).T
Theta2_trained = np.vstack([clf.intercepts_[1], clf.coefs_[1]]).T
pred = course.predict(Theta1_trained, Theta2_trained, X)
print(f"training accuracy {np.mean(pred == y):.4f} (the course reports about 0.95)")
print("same labels as the estimator:", bool(np.all(pred == clf.predict(X))))

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(np.arange(1, clf.n_iter_ + 1), clf.loss_curve_)
ax.set_xlabel("iteration")
ax.set_ylabel("cost J")
ax.set_title("Conjugate gradient, lambda = 1")
fig.tight_layout()
plt.show()
