"""
===============================
Loss curves of the five solvers
===============================

The course's network (400-25-10 sigmoid units, ``alpha=1``) is fitted to the
bundled digits, resampled to 20x20 pixels, with each of skdigits' solvers: the
full-batch L-BFGS, conjugate gradient and truncated Newton, and the minibatch
SGD and Adam. Every solver minimises the same objective and records it after
each iteration in ``loss_curve_``; a small callback records when each
iteration ended, so the curves can be compared per iteration and per second.
"""

# %%
# Data and solvers
# ----------------
# Three quarters of the digits train, the rest measure the accuracy. Each
# solver runs 50 iterations, the course's budget for its conjugate gradient;
# for the minibatch solvers an iteration is an epoch over the training data,
# in minibatches of 200 samples.

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_info

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_digits

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

SOLVERS = {
    "lbfgs": {},
    "cg": {},
    "tnc": {},
    "sgd": {"learning_rate_init": 0.1},  # with Nesterov's momentum 0.9
    "adam": {"learning_rate_init": 0.01},
}


# %%
# Timing each iteration with a callback
# -------------------------------------
# scikit-learn's callbacks (:mod:`sklearn.callback`) are called at the end of
# each iteration; this one only notes the time.


class IterationTimer:
    """Record the wall-clock time at the end of every iteration."""

    def setup(self, estimator, context):
        self.start, self.times = time.perf_counter(), []

    def on_fit_task_begin(self, estimator, context, **kwargs):
        pass

    def on_fit_task_end(self, estimator, context, **kwargs):
        if context.task_name == "iteration":
            self.times.append(time.perf_counter() - self.start)

    def teardown(self, estimator, context):
        pass


results = {}
for solver, params in SOLVERS.items():
    timer = IterationTimer()
    clf = MLPDigitClassifier(solver=solver, max_iter=50, random_state=0, **params)
    clf.set_callbacks(timer)
    with warnings.catch_warnings():
        # 50 iterations stop most solvers before their convergence test.
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, y_train)
    results[solver] = (clf, timer.times)

# %%
# The loss curves
# ---------------
# Left, the objective after each iteration; right, the same values against the
# time at which each iteration ended (log scale). The dotted line is the loss
# of a network whose weights are all zero and whose biases predict the class
# frequencies: every solver first has to get below it.

frequencies = np.bincount(y_train) / len(y_train)
baseline = -np.sum(
    frequencies * np.log(frequencies) + (1 - frequencies) * np.log(1 - frequencies)
)

fig, (ax_iter, ax_time) = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
for solver, (clf, times) in results.items():
    iterations = np.arange(1, clf.n_iter_ + 1)
    ax_iter.plot(iterations, clf.loss_curve_, label=solver)
    ax_time.plot(times, clf.loss_curve_, label=solver)
for ax in (ax_iter, ax_time):
    ax.axhline(baseline, color="0.5", linestyle=":", linewidth=1)
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
ax_time.set_xscale("log")
ax_iter.set_xlabel("iteration (epoch for sgd and adam)")
ax_iter.set_ylabel("objective J (log scale)")
ax_time.set_xlabel("seconds")
ax_iter.legend(title="solver")
fig.suptitle("The course's network on the bundled 20x20 digits")
fig.tight_layout()
plt.show()

# %%
# The numbers
# -----------
# Time per iteration, final objective and accuracies, measured in this run.
# (The minibatch solvers' curve is the mean minibatch loss during each epoch,
# while the weights were changing; the full-batch curve is the objective at
# the end of each iteration.)

blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
print(
    ", ".join(f"{lib['internal_api']}: {lib['num_threads']} thread(s)" for lib in blas)
)
print(
    f"{'solver':>6} {'iter':>5} {'seconds':>8} {'ms/iter':>8} "
    f"{'loss_':>8} {'train':>6} {'test':>6}"
)
for solver, (clf, times) in results.items():
    print(
        f"{solver:>6} {clf.n_iter_:5d} {times[-1]:8.2f} "
        f"{1000 * times[-1] / clf.n_iter_:8.1f} {clf.loss_:8.4f} "
        f"{clf.score(X_train, y_train):6.3f} {clf.score(X_test, y_test):6.3f}"
    )

# %%
# Reading the curves
# ------------------
# Per iteration, truncated Newton makes by far the most progress, and pays for
# it with the longest iterations: each runs an inner loop of gradient
# evaluations. Conjugate gradient and L-BFGS need one or a few evaluations per
# iteration and end close to each other. Adam first sits on the plateau of the
# dotted line for many epochs before it descends. After 50 iterations only
# truncated Newton's curve has flattened: the course's 50
# iterations of conjugate gradient stop well before convergence, and the
# accuracy is already high. Against the clock, L-BFGS and conjugate gradient are
# the ones to beat on data of this size, which is why ``'lbfgs'`` is the default
# and ``solver='cg', max_iter=50`` reproduces the course.
