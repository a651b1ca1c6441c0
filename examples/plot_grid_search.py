"""
======================================================
Tuning the penalty and the hidden layer with a search
======================================================

:class:`~sklearn.model_selection.GridSearchCV` cross-validates every
combination of the penalty ``alpha`` (the course's lambda) and the size of the
hidden layer, then refits the best one on all the training data. The
cross-validated accuracy as a function of ``alpha`` is a validation curve: too
little penalty and the network fits noise, too much and it cannot fit the
digits at all.
"""

# %%
# The search
# ----------
# The 8x8 digits keep this example fast. A quarter of the digits are kept
# aside to check the chosen model once, at the end.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_digits

X, y = load_digits(size=8, return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

alphas = np.logspace(-3, 2, 6)
param_grid = {
    "alpha": alphas,
    "hidden_layer_sizes": [(10,), (25,), (50,)],
}
search = GridSearchCV(
    MLPDigitClassifier(random_state=0),
    param_grid,
    cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0),
    return_train_score=True,
)
with warnings.catch_warnings():
    # Weakly penalised fits may stop at max_iter; the scores tell the rest.
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

print(f"{len(search.cv_results_['params'])} candidates x 3 folds")
print(
    f"best parameters: alpha={search.best_params_['alpha']:g}, "
    f"hidden_layer_sizes={search.best_params_['hidden_layer_sizes']}"
)
print(f"best cross-validated accuracy: {search.best_score_:.3f}")
print(
    f"accuracy of the refitted best model on the kept-aside quarter: "
    f"{search.score(X_test, y_test):.3f}"
)

# %%
# Validation curves
# -----------------
# For each hidden-layer size, the mean accuracy over the validation folds
# (solid, with one standard deviation shaded) and over the training folds
# (dashed), as ``alpha`` grows.

results = search.cv_results_
fig, (ax_full, ax_zoom) = plt.subplots(1, 2, figsize=(11, 4.3))
colors = plt.cm.viridis([0.1, 0.5, 0.85])
for hidden, color in zip(param_grid["hidden_layer_sizes"], colors):
    mask = np.array([p == hidden for p in results["param_hidden_layer_sizes"]])
    alpha = np.asarray(results["param_alpha"][mask], dtype=float)
    order = np.argsort(alpha)
    alpha = alpha[order]
    test_mean = results["mean_test_score"][mask][order]
    test_std = results["std_test_score"][mask][order]
    train_mean = results["mean_train_score"][mask][order]
    for ax in (ax_full, ax_zoom):
        ax.plot(alpha, test_mean, "o-", color=color, label=f"{hidden[0]} hidden units")
        ax.fill_between(
            alpha, test_mean - test_std, test_mean + test_std, color=color, alpha=0.2
        )
        ax.plot(alpha, train_mean, "--", color=color)
best = search.best_params_
for ax in (ax_full, ax_zoom):
    ax.plot(
        best["alpha"],
        search.best_score_,
        "*",
        color="crimson",
        markersize=14,
        label="best",
        zorder=4,
    )
    ax.set_xscale("log")
    ax.set_xlabel("alpha (the course's lambda)")
    ax.grid(True, which="major", alpha=0.3)
ax_full.set_ylabel("accuracy")
ax_full.set_title("All candidates")
ax_zoom.set_ylim(0.9, 1.005)
ax_zoom.set_title("Zoom on accuracies above 90%")
ax_full.legend(loc="center left")
fig.suptitle("Validation curves: solid = validation folds, dashed = training folds")
fig.tight_layout()
plt.show()

# %%
# Reading the curves
# ------------------
# At the right, a strong penalty holds the weights near zero and both training
# and validation accuracy fall: underfitting, the same collapse that
# :doc:`/keras_pitfalls` traces in a Keras model whose penalty is thousands of
# times too strong. At the left, the training accuracy reaches 100% while the
# validation accuracy stays below it: the gap is what the network learnt about
# the training digits alone. The best penalty lies in between; the search
# finds it on the validation folds, and the kept-aside quarter confirms it.
