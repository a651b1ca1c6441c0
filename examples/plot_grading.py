"""
=============================
Check your own exercise 4
=============================

:func:`skdigits.course.grade` grades a learner's own exercise 4 functions
against the course's, offline, part by part, as the course's submit script
did, and names the classic mistake a failing part makes. This example writes
one correct ``nnCostFunction`` by hand, in plain NumPy with the course's
conventions (labels ``1..K``, parameters unrolled column-major), grades it,
then grades three copies with a mistake learners often make.

The same grade is one command away for a file: ``python -m skdigits grade
my_ex4.py``.
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


def predict(Theta1, Theta2, X):
    m = X.shape[0]
    h1 = sigmoid(np.hstack([np.ones((m, 1)), X]) @ Theta1.T)
    h2 = sigmoid(np.hstack([np.ones((m, 1)), h1]) @ Theta2.T)
    return np.argmax(h2, axis=1) + 1


def make_cost_function(bias_in_penalty=False, labels_from=1, delta_on_a2=False):
    """A learner's nnCostFunction; each flag is one classic mistake."""

    def nn_cost_function(
        nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_
    ):
        n1 = hidden_layer_size * (input_layer_size + 1)
        Theta1 = nn_params[:n1].reshape(
            (hidden_layer_size, input_layer_size + 1), order="F"
        )
        Theta2 = nn_params[n1:].reshape((num_labels, hidden_layer_size + 1), order="F")
        m = X.shape[0]
        # Label k is output unit k - 1 (labels_from=0 is the 0..K-1 mistake).
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
        G1[:, 1:] += lambda_ / m * Theta1[:, 1:]
        G2[:, 1:] += lambda_ / m * Theta2[:, 1:]
        return J, np.concatenate([G1.ravel(order="F"), G2.ravel(order="F")])

    return nn_cost_function


functions = {
    "sigmoid_gradient": sigmoid_gradient,
    "rand_initialize_weights": rand_initialize_weights,
    "predict": predict,
}

# %%
# A correct implementation
# ------------------------
# Every part passes: the numbers agree with the course's on its debugging
# network and on three random small networks, with and without lambda.

report = grade(functions, nn_cost_function=make_cost_function())
print(report)

# %%
# The bias column in the penalty
# ------------------------------
# Only the regularised cost fails; the message says which mistake gives this
# number, and shows it.

print(grade(functions, nn_cost_function=make_cost_function(bias_in_penalty=True)))

# %%
# Labels 0..9 instead of the course's 1..10
# -----------------------------------------
# The course's digit 0 has label 10, and label ``k`` is output unit ``k - 1``.
# Every part computed by ``nnCostFunction`` is off.

print(grade(functions, nn_cost_function=make_cost_function(labels_from=0)))

# %%
# The sigmoid gradient taken at the activations
# ---------------------------------------------
# ``sigmoid_gradient(a2)`` instead of ``sigmoid_gradient(z2)``: the cost is
# right, the gradient is not, by a relative difference of a few parts in a
# thousand on the debugging network, small enough to miss by eye.

report = grade(functions, nn_cost_function=make_cost_function(delta_on_a2=True))
print(report)
print("Diagnosis of the gradient part:", report.parts["gradient"].diagnosis)
