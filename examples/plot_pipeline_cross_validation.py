"""
==============================================
Scaling in a pipeline, with cross-validation
==============================================

Sigmoid units want inputs of order one. scikit-learn's own copy of the digits
stores pixel values from 0 to 16; fed unscaled, they push the network's first
layer into saturation, where sigmoid gradients vanish. A scaler in a
:class:`~sklearn.pipeline.Pipeline` fixes that, and cross-validation measures
by how much. Because the scaler is a step of the pipeline, each fold fits it on
its training part only, so no information leaks from the held-out part.
"""

# %%
# Three pipelines
# ---------------
# The same network, :class:`~skdigits.MLPDigitClassifier` with its defaults
# (the course's 25 sigmoid hidden units, ``alpha=1``, L-BFGS), after no
# scaling, after scaling each pixel to [0, 1], and after standardising each
# pixel.

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits as load_raw_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from skdigits import MLPDigitClassifier

X, y = load_raw_digits(return_X_y=True)
print(
    f"{X.shape[0]} digits, {X.shape[1]} pixels with values {X.min():.0f}..{X.max():.0f}"
)

models = {
    "unscaled": MLPDigitClassifier(random_state=0),
    "MinMaxScaler": make_pipeline(MinMaxScaler(), MLPDigitClassifier(random_state=0)),
    "StandardScaler": make_pipeline(
        StandardScaler(), MLPDigitClassifier(random_state=0)
    ),
}

# %%
# Five-fold cross-validation
# --------------------------
# Stratified folds keep the ten digits in proportion in every fold. Some fits
# stop at ``max_iter=200`` before L-BFGS's tolerance is met; the
# ``ConvergenceWarning`` says so, and the scores show that it does not matter
# here.

cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
scores = {}
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for name, model in models.items():
        scores[name] = cross_validate(model, X, y, cv=cv, return_train_score=True)

for name, result in scores.items():
    print(
        f"{name:>14}: test accuracy {result['test_score'].mean():.3f} "
        f"+/- {result['test_score'].std():.3f}, "
        f"training accuracy {result['train_score'].mean():.3f}, "
        f"{result['fit_time'].mean():.2f} s per fit"
    )

# %%
# Accuracy on the held-out folds
# ------------------------------
# One dot per fold; the bar is the mean.

fig, ax = plt.subplots(figsize=(6.4, 3.6))
for position, (name, result) in enumerate(scores.items()):
    test = result["test_score"]
    ax.scatter(np.full(len(test), position), test, color="tab:blue", zorder=3)
    ax.hlines(test.mean(), position - 0.25, position + 0.25, color="tab:orange")
ax.set_xticks(range(len(scores)), list(scores))
ax.set_xlim(-0.6, len(scores) - 0.4)
ax.set_ylabel("accuracy on the held-out fold")
ax.set_title("Same network, three input scalings (5-fold CV)")
ax.grid(True, axis="y", alpha=0.3)
fig.tight_layout()
plt.show()

# %%
# Why scaling matters here
# ------------------------
# The initial weights are uniform in [-0.12, 0.12]. With 64 inputs of up to 16,
# a hidden unit's input starts with a standard deviation of a few units, and
# grows as training enlarges the weights, where the sigmoid is flat and passes
# back little gradient; the penalty ``alpha`` also weighs differently against
# weights that multiply large inputs. Either scaler puts the pixels on the
# scale the course's defaults were chosen for. The bundled digits of
# :func:`skdigits.datasets.load_digits` are already scaled to [0, 1].
