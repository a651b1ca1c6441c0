"""
=============================
Check your own exercise 4
=============================

:func:`skdigits.course.grade` grades a learner's own exercise 4 functions
against the course's, offline, part by part, as the course's submit script
did, in the learner's own convention, and names the classic mistake a failing
part makes. This example writes one correct ``nnCostFunction`` by hand, in
plain NumPy, grades it in the Octave original's conventions (labels ``1..K``,
parameters unrolled column-major) and in the course's Python edition's
(labels ``0..K-1``, row-major), then grades three copies with a mistake
learners often make.

The same grade is one command away for a file or a notebook: ``python -m
skdigits grade my_ex4.py``, ``python -m skdigits grade exercise4.ipynb``.
"""

import numpy as np

from skdigits.course import grade


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_gradient(z):
    g = sigmoid(z)
    return g * (1 - g)


def rand_initialize_weights(L_in, L_out, epsilon_init=0.12):
    return np.random.rand(L_out, 1 + L_in) * 2 * epsilon_init - epsilon_init


def make_predict(labels_from=1):
    def predict(Theta1, Theta2, X):
        m = X.shape[0]
        h1 = sigmoid(np.hstack([np.ones((m, 1)), X]) @ Theta1.T)
        h2 = sigmoid(np.hstack([np.ones((m, 1)), h1]) @ Theta2.T)
        return np.argmax(h2, axis=1) + labels_from

    return predict


def make_cost_function(
    order="F",
    labels_from=1,
    bias_in_penalty=False,
    delta_on_a2=False,
    grad_penalty_over_m=True,
):
    """A learner's nnCostFunction in a convention (``order``, ``labels_from``);
    each other flag is one classic mistake."""

    def nn_cost_function(
        nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_
    ):
        n1 = hidden_layer_size * (input_layer_size + 1)
        Theta1 = nn_params[:n1].reshape(
            (hidden_layer_size, input_layer_size + 1), order=order
        )
        Theta2 = nn_params[n1:].reshape(
            (num_labels, hidden_layer_size + 1), order=order
        )
        m = X.shape[0]
        # Label k is output unit k - labels_from.
        Y = (y[:, None] == np.arange(labels_from, labels_from + num_labels)) * 1.0
        a1 = np.hstack([np.ones((m, 1)), X])
        z2 = a1 @ Theta1.T
        a2 = np.hstack([np.ones((m, 1)), sigmoid(z2)])
        h = sigmoid(a2 @ Theta2.T)
        J = -np.sum(Y * np.log(h) + (1 - Y) * np.log(1 - h)) / m
        first = 0 if bias_in_penalty else 1
        J += (
            lambda_
            / (2 * m)
            * (np.sum(Theta1[:, first:] ** 2) + np.sum(Theta2[:, first:] ** 2))
        )
        d3 = h - Y
        # The derivative of the sigmoid at z2, or (the mistake) at a2.
        d2 = (d3 @ Theta2[:, 1:]) * sigmoid_gradient(a2[:, 1:] if delta_on_a2 else z2)
        G1 = d2.T @ a1 / m
        G2 = d3.T @ a2 / m
        # The derivative of lambda/(2m) sum(Theta^2) is (lambda/m) Theta.
        scale = lambda_ / m if grad_penalty_over_m else lambda_
        G1[:, 1:] += scale * Theta1[:, 1:]
        G2[:, 1:] += scale * Theta2[:, 1:]
        return J, np.concatenate([G1.ravel(order=order), G2.ravel(order=order)])

    return nn_cost_function


functions = {
    "sigmoid_gradient": sigmoid_gradient,
    "rand_initialize_weights": rand_initialize_weights,
    "predict": make_predict(),
}

# %%
# A correct implementation
# ------------------------
# Every part passes: the numbers agree with the course's on its debugging
# network, on the network the course's submit script sends and on three
# random small networks, with and without lambda. The first line names the
# convention found; the last one shows the submit network's numbers.

report = grade(functions, nn_cost_function=make_cost_function())
print(report)

# %%
# The same, in the course's Python edition
# -----------------------------------------
# The Python edition unrolls row-major (NumPy's default) and uses labels
# ``0..K-1``. Written that way, consistently, every part passes too, and the
# report says which convention it graded in.

python_edition = dict(functions, predict=make_predict(labels_from=0))
report = grade(
    python_edition, nn_cost_function=make_cost_function(order="C", labels_from=0)
)
print(report.convention)
print(report.passed)

# %%
# The bias column in the penalty
# ------------------------------
# Only the regularised cost fails; the message says which mistake gives this
# number, and shows it.

print(grade(functions, nn_cost_function=make_cost_function(bias_in_penalty=True)))

# %%
# lambda * Theta in the gradient
# ------------------------------
# The penalty's derivative is ``(lambda/m) Theta``; without the ``1/m`` the
# regularised gradient is off, in either edition's convention.

report = grade(
    python_edition,
    nn_cost_function=make_cost_function(
        order="C", labels_from=0, grad_penalty_over_m=False
    ),
)
print(report.parts["regularized_gradient"].message)

# %%
# The sigmoid gradient taken at the activations
# ---------------------------------------------
# ``sigmoid_gradient(a2)`` instead of ``sigmoid_gradient(z2)``: the cost is
# right, the gradient is not, by a relative difference of a few parts in a
# thousand on the debugging network, small enough to miss by eye.

report = grade(functions, nn_cost_function=make_cost_function(delta_on_a2=True))
print(report)
print("Diagnosis of the gradient part:", report.parts["gradient"].diagnosis)
