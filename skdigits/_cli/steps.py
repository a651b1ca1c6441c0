"""The walk-through's steps, in the order they run; each writes one section.

Every step prints its numbers as they come (through :class:`Report`) and
returns what the closing summary needs.
"""

import os
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold, cross_validate

from skdigits._cli.options import HIDDEN_LAYER_SIZE, N_FOLDS
from skdigits.course import (
    check_nn_gradients,
    display_data,
    nn_cost_function,
    predict,
)

# What the course's ex4 reports for its pretrained weights on its own
# ex4data1.mat: training accuracy, and the cost J at lambda 0, 1 and 3.
COURSE_ACCURACY = 0.9752
COURSE_COSTS = {0.0: 0.287629, 1.0: 0.383770, 3.0: 0.576051}


def plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def percent(x):
    return f"{100 * x:.2f}%"


def step_data(report, X, y, source, rng):
    report.section("Data")
    report.row("Source", source)
    side = int(round(np.sqrt(X.shape[1])))
    report.row(
        "Examples",
        f"{X.shape[0]} images of {side}x{side} pixels ({X.shape[1]} features)",
    )
    counts = np.bincount(y, minlength=11)[1:]
    report.row(
        "Examples per digit", " ".join(f"{k % 10}:{n}" for k, n in enumerate(counts, 1))
    )
    report.note(
        "As in the course, images are unrolled column by column and the digit 0 "
        "has the label 10."
    )
    shown = rng.choice(X.shape[0], size=min(100, X.shape[0]), replace=False)

    def draw(fig):
        ax = display_data(X[shown], ax=fig.subplots())
        ax.set_title(f"{len(shown)} random examples (course.display_data)")

    report.figure(
        "data.png", "Random examples, drawn as the course's displayData.", draw
    )


def step_cost(report, X, y, thetas, lambda_, weights):
    report.section("Cost")
    nn_params = np.concatenate([T.ravel(order="F") for T in thetas])
    sizes = (X.shape[1], HIDDEN_LAYER_SIZE, 10)
    J0 = nn_cost_function(nn_params, *sizes, X, y, 0.0)[0]
    value = f"J = {J0:.6f} (lambda 0)"
    if lambda_ != 0:
        J = nn_cost_function(nn_params, *sizes, X, y, lambda_)[0]
        value += f", {J:.6f} (lambda {lambda_:g})"
    report.row("Cost at the initial weights (uniform in [-0.12, 0.12])", value)
    report.note(
        "Near-zero weights put every output near 0.5, so J starts near "
        "10 * log(2) = 6.93 (plus a small penalty).",
        echo=False,
    )
    if weights is not None:
        _step_pretrained(report, X, y, weights, sizes)


def _step_pretrained(report, X, y, weights, sizes):
    """The course's pretrained weights on this data, next to the course's numbers."""
    report.section("The course's pretrained weights (--weights)")
    Theta1, Theta2 = weights
    w_params = np.concatenate([Theta1.ravel(order="F"), Theta2.ravel(order="F")])
    accuracy = np.mean(predict(Theta1, Theta2, X) == y)
    report.row(
        "Accuracy of the pretrained weights",
        f"{percent(accuracy)} here, {percent(COURSE_ACCURACY)} in the course "
        f"(difference {100 * (accuracy - COURSE_ACCURACY):+.2f} points)",
    )
    for lam, J_course in COURSE_COSTS.items():
        J = nn_cost_function(w_params, *sizes, X, y, lam)[0]
        report.row(
            f"Cost at the pretrained weights, lambda {lam:g}",
            f"J = {J:.6f} here, {J_course:.6f} in the course (relative "
            f"difference {100 * (J - J_course) / J_course:+.2f}%)",
        )
    report.note(
        "The course's numbers are its weights on its own ex4data1.mat (5000 MNIST "
        "digits). On other MNIST digits in the same layout they should come "
        "within a few percent; far off (accuracy near 10-20%) means the pixels "
        "are unrolled in the wrong order or the labels are not 1..10."
    )


def step_gradients(report, lambda_):
    report.section("Gradient check")
    diffs = {lam: check_nn_gradients(lam) for lam in sorted({0.0, 3.0, lambda_})}
    for lam, diff in diffs.items():
        verdict = "backpropagation is correct" if diff < 1e-9 else "TOO LARGE"
        report.row(f"Relative difference, lambda {lam:g}", f"{diff:.3g} ({verdict})")
    report.note(
        "The course's debugging network (3 inputs, 5 hidden units, 3 labels, 5 "
        "examples, sin weights): backpropagation against central differences; "
        "the course expects less than 1e-9."
    )
    return diffs


def _fit_quietly(clf, X, y):
    """``clf.fit(X, y)``; seconds. Like the course's fmincg, it runs a fixed
    number of iterations: stopping at max_iter is no warning here."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return time.perf_counter() - start


def step_training(report, clf, X, y, max_iter, lambda_):
    report.section("Training")
    print(
        f"  MLPDigitClassifier(solver='cg', max_iter={max_iter}, alpha={lambda_:g}), "
        "starting from the weights above:"
    )
    seconds = _fit_quietly(clf, X, y)
    report.row(
        "Conjugate gradient",
        f"{plural(clf.n_iter_, 'iteration')} in {seconds:.1f} s, final cost "
        f"J = {clf.loss_:.6f}",
    )
    report.row("Training accuracy", percent(clf.score(X, y)))

    def draw_loss(fig):
        from skdigits.plotting import plot_loss_curve

        ax = plot_loss_curve(clf, ax=fig.subplots(), label="NumPy backend")
        ax.set_title("Cost J per conjugate-gradient iteration")

    def draw_hidden(fig):
        from skdigits.plotting import plot_hidden_units

        plot_hidden_units(clf, order="F", ax=fig.subplots())

    report.figure("loss.png", "Cost J after each iteration.", draw_loss, (6, 4))
    report.figure(
        "hidden.png",
        "Input weights of each hidden unit, drawn as an image (the course's "
        "visualizing the hidden layer).",
        draw_hidden,
    )
    return seconds


def _cross_validate(clf, X, y, random_state):
    """``(cross_validate's result, seconds)`` of ``N_FOLDS`` stratified folds."""
    cv = StratifiedKFold(N_FOLDS, shuffle=True, random_state=random_state)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = cross_validate(
            clone(clf).set_params(verbose=0),
            X,
            y,
            cv=cv,
            return_estimator=True,
            return_indices=True,
        )
    return result, time.perf_counter() - start


def step_cv(report, clf, X, y, random_state):
    report.section(f"{N_FOLDS}-fold cross-validation")
    result, seconds = _cross_validate(clf, X, y, random_state)
    scores = result["test_score"]
    report.row(
        "Held-out accuracy",
        f"{percent(scores.mean())} +/- {percent(scores.std())} "
        f"(folds: {', '.join(percent(s) for s in scores)})",
    )
    report.row("Time", f"{seconds:.1f} s for {N_FOLDS} fits")
    # Every digit predicted once, by the network of the fold that held it out.
    y_pred = np.empty_like(y)
    for estimator, test in zip(result["estimator"], result["indices"]["test"]):
        y_pred[test] = estimator.predict(X[test])

    def draw(fig):
        from sklearn.metrics import ConfusionMatrixDisplay

        ax = fig.subplots()
        ConfusionMatrixDisplay.from_predictions(
            y % 10, y_pred % 10, ax=ax, colorbar=False
        )
        ax.set_title("Held-out predictions of the 5 folds")

    report.figure(
        "confusion.png",
        "Confusion matrix of the held-out predictions: each digit is predicted "
        "by the network of the fold that did not train on it.",
        draw,
    )
    return seconds, scores


def step_keras(report, clf, X, y, plan):
    """The same fit with ``backend='keras'``; ``(estimator or None, seconds)``.

    ``plan`` is ``"skip"`` (--no-keras), ``"missing"`` (Keras is not
    installed) or ``"run"``.
    """
    report.section("Keras backend")
    if plan == "skip":
        report.note("Skipped (--no-keras).")
        return None, 0.0
    if plan == "missing":
        report.note('Keras is not installed: skipped (pip install "skdigits[keras]").')
        return None, 0.0
    # Keep TensorFlow's C++ start-up chatter out of the walk-through (a value
    # the user set wins); it must be set before TensorFlow is imported.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    keras_clf = clone(clf).set_params(backend="keras", verbose=0)
    try:
        seconds = _fit_quietly(keras_clf, X, y)
    except ImportError as exc:
        report.note(f"The Keras backend is not available: skipped ({exc}).")
        return None, 0.0
    _report_keras_fit(report, clf, keras_clf, X, y, seconds)
    return keras_clf, seconds


def _report_keras_fit(report, clf, keras_clf, X, y, seconds):
    report.row(
        "Same fit, backend='keras'",
        f"{plural(keras_clf.n_iter_, 'iteration')} in {seconds:.1f} s, final cost "
        f"J = {keras_clf.loss_:.6f} (NumPy: {clf.loss_:.6f}, difference "
        f"{abs(keras_clf.loss_ - clf.loss_):.2g})",
    )
    report.row("Training accuracy (Keras)", percent(keras_clf.score(X, y)))
    report.row(
        "Predictions equal to the NumPy backend's",
        percent(np.mean(keras_clf.predict(X) == clf.predict(X))),
    )

    def draw(fig):
        from skdigits.plotting import plot_loss_curve

        ax = fig.subplots()
        plot_loss_curve(clf, ax=ax, label="NumPy backend")
        plot_loss_curve(keras_clf, ax=ax, label="Keras backend")
        ax.lines[-1].set_linestyle("--")
        ax.legend()
        ax.set_title("Same objective, same optimizer, two backends")

    report.figure("keras_loss.png", "Loss curves of both backends.", draw, (6, 4))
