"""
Deformed digits on a Dask cluster
=================================

More training data helps a digit network, and elastic distortions of real
digits (Simard et al., 2003) make as much as one likes:
:func:`skdigits.datasets.make_deformed_digits` describes them as lazy Dask
arrays, each chunk generated where it is computed. :class:`~skdigits.MLPDigitClassifier`
fits on Dask arrays where they live: every evaluation of the objective runs on
the workers, chunk by chunk, and only the weights and the summed gradient
travel.

Here a small local cluster (threads, so that the documentation builds
quickly; on a real cluster connect a ``distributed.Client`` to its scheduler
instead) trains the course's network on 4000 of the 5000 real digits, then on
deformed copies of those 4000, and scores both on the 1000 digits left out.
"""

# %%
# A cluster and the digits
# ------------------------
# The held-out digits are never deformed: ``sources`` limits the deformations
# to the training digits.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_mnist_5k, make_deformed_digits
from skdigits.plotting import plot_digits

cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
)
client = Client(cluster)

X, y = load_mnist_5k(return_X_y=True)
train, test = train_test_split(
    np.arange(len(y)), test_size=1000, stratify=y, random_state=0
)

# %%
# What a deformation does: a real digit (top row) and deformations of it at
# increasing strength ``alpha`` (pixels of the 28 x 28 image).
alphas = [10, 20, 34]
rows = [X[train[:8]]]
for alpha in alphas:
    deformed = [
        make_deformed_digits(1, alpha=alpha, sources=[i], random_state=i)[0]
        for i in train[:8]
    ]
    rows.append(np.vstack([d.compute() for d in deformed]))
fig, ax = plt.subplots(figsize=(6, 3.2))
plot_digits(np.vstack(rows), order="F", n_cols=8, ax=ax)
ax.set_title("real digits, then alpha = 10, 20, 34")

# %%
# Fits on more and more data
# --------------------------
# The deformed digits stay on the cluster: ``fit`` receives Dask arrays and
# computes the classes, the weight total and every evaluation there.
sizes, scores = [], []
for copies in (0, 5):
    if copies == 0:
        X_fit, y_fit = X[train], y[train]
    else:
        X_fit, y_fit = make_deformed_digits(
            copies * len(train), sources=train, chunks=4000, random_state=1
        )
    clf = MLPDigitClassifier(max_iter=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_fit, y_fit)
    sizes.append(len(y_fit))
    scores.append(clf.score(X[test], y[test]))
    print(f"{len(y_fit):6d} training digits: held-out accuracy {scores[-1]:.3f}")

# %%
# Predictions on a Dask array are lazy too: one task per chunk.
X_test_dask = make_deformed_digits(2000, sources=test, chunks=1000, random_state=2)[0]
print(clf.predict(X_test_dask))

client.close()
cluster.close()

# %%
# Held-out accuracy of the two fits. At this size the numbers are noisy (1000
# test digits: one point is 10 digits) and the fits stop at ``max_iter=100``;
# ``benchmarks/bench_dask.py`` measures the same with up to 100 deformed
# copies per digit, and the :doc:`/user_guide/scaling_and_persistence` page
# has its results.
fig, ax = plt.subplots(figsize=(5, 3.2))
labels = [f"{n} digits" for n in sizes]
ax.bar(labels, scores, color=["0.6", "tab:blue"])
ax.set_ylim(0.85, 1.0)
ax.set_ylabel("accuracy on 1000 untouched digits")
for i, score in enumerate(scores):
    ax.text(i, score + 0.003, f"{score:.3f}", ha="center")
fig.tight_layout()
plt.show()
