"""
==============================================
Early stopping, and when it stops too soon
==============================================

With ``early_stopping=True`` the estimator holds out 10% of the training data,
scores the held-out digits after every iteration, stops once the accuracy has
not improved for ``n_iter_no_change`` iterations, and keeps the best weights.
This example shows what it records, and a case where its default patience is
too short for the course's sigmoid network.
"""

# %%
# A run that stops on time
# ------------------------
# Minibatch SGD with a weak penalty and 50 hidden units, on the bundled 20x20
# digits. The same fit without early stopping runs all 300 epochs.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_digits

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

sgd = dict(
    solver="sgd",
    learning_rate_init=0.1,
    alpha=1e-3,
    hidden_layer_sizes=(50,),
    max_iter=300,
    random_state=0,
)
stopped = MLPDigitClassifier(early_stopping=True, **sgd).fit(X_train, y_train)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    full = MLPDigitClassifier(**sgd).fit(X_train, y_train)


def plot_run(ax, clf, title):
    """Training loss (left axis) and validation accuracy (right axis)."""
    epochs = np.arange(1, clf.n_iter_ + 1)
    ax.plot(epochs, clf.loss_curve_, color="tab:blue")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training objective", color="tab:blue")
    right = ax.twinx()
    right.plot(epochs, clf.validation_scores_, color="tab:orange")
    right.set_ylim(0, 1.02)
    right.set_ylabel("validation accuracy", color="tab:orange")
    best = int(np.argmax(clf.validation_scores_)) + 1
    ax.axvline(best, color="0.4", linestyle="--", linewidth=1)
    ax.set_title(f"{title}\nbest epoch {best}, stopped after {clf.n_iter_}")


fig, ax = plt.subplots(figsize=(6.4, 4))
plot_run(ax, stopped, "SGD, early_stopping=True")
fig.tight_layout()
plt.show()

print(
    f"early stopping: {stopped.n_iter_} epochs, best validation accuracy "
    f"{stopped.best_validation_score_:.3f}, test accuracy "
    f"{stopped.score(X_test, y_test):.3f}"
)
print(
    f"no early stopping: {full.n_iter_} epochs, test accuracy "
    f"{full.score(X_test, y_test):.3f}"
)

# %%
# The validation set has 10% of 1347 training digits, so its accuracy moves in
# steps of one digit, about 0.7 points. Early stopping saved most of the
# epochs; whether it also cost accuracy on the test digits, the two lines above
# tell for this run.
#
# Stopped on the plateau
# ----------------------
# The course's network starts on a plateau: before the hidden units specialise,
# the best the network can do is to predict the class frequencies, and the
# validation accuracy stays near 10%. A solver that takes many epochs to leave
# the plateau, here Adam with its default step of 0.001, can exhaust the
# default patience of ``n_iter_no_change=10`` epochs there, and early stopping
# then keeps a useless network. More patience lets it through.

adam = dict(solver="adam", max_iter=300, random_state=0)
impatient = MLPDigitClassifier(early_stopping=True, **adam).fit(X_train, y_train)
patient = MLPDigitClassifier(early_stopping=True, n_iter_no_change=40, **adam).fit(
    X_train, y_train
)

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
plot_run(axes[0], impatient, "Adam, n_iter_no_change=10")
plot_run(axes[1], patient, "Adam, n_iter_no_change=40")
for ax in axes:
    ax.set_xlim(0, patient.n_iter_ + 1)
fig.tight_layout()
plt.show()

for name, clf in [("patience 10", impatient), ("patience 40", patient)]:
    print(
        f"{name}: {clf.n_iter_} epochs, best validation accuracy "
        f"{clf.best_validation_score_:.3f}, test accuracy "
        f"{clf.score(X_test, y_test):.3f}"
    )

# %%
# So with the sigmoid network and a minibatch solver, give early stopping more
# patience than the length of the plateau, or use a full-batch solver, which
# leaves the plateau in a few iterations.
