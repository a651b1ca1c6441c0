"""Write the grader's test corpus: learners' exercise 4 programs and notebooks.

Run from the repository root: ``python tests/grade_corpus/make_corpus.py``.
It writes the ``.py`` programs, the notebooks in the course's Python edition
layout (``python_edition/Exercise4/*.ipynb`` with ``utils.py`` beside them and
``submission.py`` in ``python_edition/``; the ``Data`` folder absent) and
``expected.json``: for each program, every part's expected outcome (True,
False, None for not submitted), the diagnosis of each failing part and the
convention the report must name. tests/test_grade_corpus.py grades them all.

Five correct base programs, in the styles real learners write, and each
classic mistake as a one-place edit of a base in each convention where it can
occur. The programs are written as learners write them (names, comments,
top-level scripts that load absent data and train).
"""

import json
import textwrap
from pathlib import Path

HERE = Path(__file__).parent

# -- A: a faithful port of the Octave original ----------------------------------
# Column-major, labels 1..K, y of shape (m,), Octave names, (J, grad).
OCTAVE = '''
import numpy as np
from scipy.io import loadmat
from scipy.optimize import minimize


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoidGradient(z):
    g = sigmoid(z) * (1 - sigmoid(z))
    return g


def randInitializeWeights(L_in, L_out):
    epsilon_init = 0.12
    W = np.random.rand(L_out, 1 + L_in) * 2 * epsilon_init - epsilon_init
    return W


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size,
                   num_labels, X, y, lambda_):
    # Theta1(:) and Theta2(:) were unrolled column by column, as in Octave
    Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                        (hidden_layer_size, input_layer_size + 1), order='F')
    Theta2 = np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                        (num_labels, hidden_layer_size + 1), order='F')
    m = X.shape[0]

    # digit 0 is label 10, so label k is column k - 1
    Y = np.eye(num_labels)[y - 1]

    a1 = np.hstack([np.ones((m, 1)), X])
    z2 = a1 @ Theta1.T
    a2 = np.hstack([np.ones((m, 1)), sigmoid(z2)])
    a3 = sigmoid(a2 @ Theta2.T)

    J = -np.sum(Y * np.log(a3) + (1 - Y) * np.log(1 - a3)) / m
    J = J + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    d3 = a3 - Y
    d2 = (d3 @ Theta2[:, 1:]) * sigmoidGradient(z2)
    Theta1_grad = d2.T @ a1 / m
    Theta2_grad = d3.T @ a2 / m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]

    grad = np.concatenate([Theta1_grad.ravel(order='F'), Theta2_grad.ravel(order='F')])
    return J, grad


def predict(Theta1, Theta2, X):
    m = X.shape[0]
    h1 = sigmoid(np.hstack([np.ones((m, 1)), X]) @ Theta1.T)
    h2 = sigmoid(np.hstack([np.ones((m, 1)), h1]) @ Theta2.T)
    return np.argmax(h2, axis=1) + 1


# ---- the script: load the data, check, train ----
data = loadmat('ex4data1.mat')
X = data['X']
y = data['y'].ravel()
input_layer_size, hidden_layer_size, num_labels = 400, 25, 10
initial = np.concatenate([randInitializeWeights(400, 25).ravel(order='F'),
                          randInitializeWeights(25, 10).ravel(order='F')])
res = minimize(nnCostFunction, initial, jac=True, method='CG',
               args=(input_layer_size, hidden_layer_size, num_labels, X, y, 1.0),
               options={'maxiter': 50})
print('Training accuracy:', np.mean(predict(
    res.x[:25 * 401].reshape(25, 401, order='F'),
    res.x[25 * 401:].reshape(10, 26, order='F'), X) == y) * 100)
'''

# -- B: the course's Python edition, as a .py file ------------------------------
# Row-major, labels 0..K-1, y of shape (m,), lambda_ with a default.
PYTHON_FUNCS = '''
def sigmoidGradient(z):
    """Computes the gradient of the sigmoid function evaluated at z."""
    g = np.zeros(z.shape)

    # ====================== YOUR CODE HERE ======================
    g = sigmoid(z) * (1 - sigmoid(z))
    # =============================================================
    return g


def randInitializeWeights(L_in, L_out, epsilon_init=0.12):
    """Randomly initialize the weights of a layer in a neural network."""
    W = np.zeros((L_out, 1 + L_in))

    # ====================== YOUR CODE HERE ======================
    W = np.random.rand(L_out, 1 + L_in) * 2 * epsilon_init - epsilon_init
    # ============================================================
    return W


def nnCostFunction(nn_params,
                   input_layer_size,
                   hidden_layer_size,
                   num_labels,
                   X, y, lambda_=0.0):
    # Reshape nn_params back into the parameters Theta1 and Theta2
    Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                        (hidden_layer_size, (input_layer_size + 1)))

    Theta2 = np.reshape(nn_params[(hidden_layer_size * (input_layer_size + 1)):],
                        (num_labels, (hidden_layer_size + 1)))

    m = y.size

    J = 0
    Theta1_grad = np.zeros(Theta1.shape)
    Theta2_grad = np.zeros(Theta2.shape)

    # ====================== YOUR CODE HERE ======================
    a1 = np.concatenate([np.ones((m, 1)), X], axis=1)
    z2 = a1.dot(Theta1.T)
    a2 = np.concatenate([np.ones((a1.shape[0], 1)), sigmoid(z2)], axis=1)
    a3 = sigmoid(a2.dot(Theta2.T))

    y_matrix = y.reshape(-1)
    y_matrix = np.eye(num_labels)[y_matrix]

    temp1 = Theta1
    temp2 = Theta2

    reg_term = (lambda_ / (2 * m)) * (np.sum(np.square(temp1[:, 1:])) + np.sum(np.square(temp2[:, 1:])))

    J = (-1 / m) * np.sum((np.log(a3) * y_matrix) + np.log(1 - a3) * (1 - y_matrix)) + reg_term

    delta_3 = a3 - y_matrix
    delta_2 = delta_3.dot(Theta2)[:, 1:] * sigmoidGradient(a1.dot(Theta1.T))

    Delta1 = delta_2.T.dot(a1)
    Delta2 = delta_3.T.dot(a2)

    Theta1_grad = (1 / m) * Delta1
    Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + (lambda_ / m) * Theta1[:, 1:]

    Theta2_grad = (1 / m) * Delta2
    Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + (lambda_ / m) * Theta2[:, 1:]
    # ================================================================
    # Unroll gradients
    grad = np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])

    return J, grad
'''

PYTHON_PY = '''
import numpy as np
from scipy import optimize
from scipy.io import loadmat


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
''' + PYTHON_FUNCS + '''

data = loadmat('ex4data1.mat')
X, y = data['X'], data['y'].ravel()
y[y == 10] = 0
options = {'maxiter': 100}
lambda_ = 1
costFunction = lambda p: nnCostFunction(p, 400, 25, 10, X, y, lambda_)
res = optimize.minimize(costFunction, np.zeros(10285), jac=True, method='TNC',
                        options=options)
'''

# -- C: a port for scipy's fmin_cg ----------------------------------------------
# Row-major, labels 1..K, y as loadmat's (m, 1) column, snake_case names, the
# cost (a 1x1 array) and the gradient (an (n, 1) column) as two functions,
# predict returning an (m, 1) column.
FMINCG = '''
import numpy as np
import scipy.io as sio
from scipy.optimize import fmin_cg


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_gradient(z):
    return sigmoid(z) * (1 - sigmoid(z))


def rand_initialize_weights(l_in, l_out):
    eps = 0.12
    return np.random.uniform(-eps, eps, (l_out, l_in + 1))


def unpack(nn_params, input_layer_size, hidden_layer_size, num_labels):
    n1 = hidden_layer_size * (input_layer_size + 1)
    theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)
    theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)
    return theta1, theta2


def forward(theta1, theta2, X):
    m = X.shape[0]
    a1 = np.column_stack((np.ones(m), X))
    z2 = a1.dot(theta1.T)
    a2 = np.column_stack((np.ones(m), sigmoid(z2)))
    a3 = sigmoid(a2.dot(theta2.T))
    return a1, z2, a2, a3


def nn_cost_function(nn_params, input_layer_size, hidden_layer_size, num_labels,
                     X, y, lam):
    theta1, theta2 = unpack(nn_params, input_layer_size, hidden_layer_size, num_labels)
    m = X.shape[0]
    a1, z2, a2, a3 = forward(theta1, theta2, X)
    # y is the (m, 1) column loadmat gives
    Y = (y == np.arange(1, num_labels + 1)).astype(float)
    left = Y.reshape(1, -1).dot(np.log(a3).reshape(-1, 1))
    right = (1 - Y).reshape(1, -1).dot(np.log(1 - a3).reshape(-1, 1))
    J = -(left + right) / m
    J += lam / (2.0 * m) * (np.sum(theta1[:, 1:] ** 2) + np.sum(theta2[:, 1:] ** 2))
    return J


def nn_gradient(nn_params, input_layer_size, hidden_layer_size, num_labels,
                X, y, lam):
    theta1, theta2 = unpack(nn_params, input_layer_size, hidden_layer_size, num_labels)
    m = X.shape[0]
    a1, z2, a2, a3 = forward(theta1, theta2, X)
    Y = (y == np.arange(1, num_labels + 1)).astype(float)
    d3 = a3 - Y
    d2 = d3.dot(theta2[:, 1:]) * sigmoid_gradient(z2)
    grad1 = d2.T.dot(a1) / m
    grad2 = d3.T.dot(a2) / m
    grad1[:, 1:] += (lam / m) * theta1[:, 1:]
    grad2[:, 1:] += (lam / m) * theta2[:, 1:]
    return np.concatenate([grad1.reshape(-1, 1), grad2.reshape(-1, 1)])


def predict(theta1, theta2, X):
    a3 = forward(theta1, theta2, X)[3]
    return (np.argmax(a3, axis=1) + 1).reshape(-1, 1)


mat = sio.loadmat('ex4data1.mat')
X, y = mat['X'], mat['y']
theta0 = np.concatenate([rand_initialize_weights(400, 25).ravel(),
                         rand_initialize_weights(25, 10).ravel()])
args = (400, 25, 10, X, y, 1.0)
theta = fmin_cg(nn_cost_function, theta0, fprime=lambda t, *a: nn_gradient(t, *a).ravel(),
                args=args, maxiter=50)
print('accuracy', np.mean(predict(*unpack(theta, 400, 25, 10), X) == y))
'''

# -- D: backpropagation one example at a time -----------------------------------
# Column-major, labels 1..K, lambda_ with a default, a loop over examples.
LOOP = '''
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoidGradient(z):
    return sigmoid(z) * (1.0 - sigmoid(z))


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels,
                   X, y, lambda_=1.0):
    n1 = hidden_layer_size * (input_layer_size + 1)
    Theta1 = nn_params[:n1].reshape((hidden_layer_size, input_layer_size + 1), order='F')
    Theta2 = nn_params[n1:].reshape((num_labels, hidden_layer_size + 1), order='F')
    m = len(X)
    J = 0.0
    Delta1 = np.zeros_like(Theta1)
    Delta2 = np.zeros_like(Theta2)
    for t in range(m):
        a1 = np.concatenate(([1.0], X[t]))
        z2 = Theta1 @ a1
        a2 = np.concatenate(([1.0], sigmoid(z2)))
        a3 = sigmoid(Theta2 @ a2)
        yk = np.zeros(num_labels)
        yk[int(y[t]) - 1] = 1.0
        J += -np.sum(yk * np.log(a3) + (1 - yk) * np.log(1 - a3))
        d3 = a3 - yk
        d2 = (Theta2[:, 1:].T @ d3) * sigmoidGradient(z2)
        Delta1 += np.outer(d2, a1)
        Delta2 += np.outer(d3, a2)
    J = J / m + (lambda_ / (2 * m)) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    Theta1_grad = Delta1 / m
    Theta2_grad = Delta2 / m
    Theta1_grad[:, 1:] += (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] += (lambda_ / m) * Theta2[:, 1:]
    return J, np.concatenate([Theta1_grad.flatten('F'), Theta2_grad.flatten('F')])


if __name__ == '__main__':
    print(nnCostFunction(np.zeros(38), 3, 5, 3, np.zeros((5, 3)), np.arange(1, 6) % 3 + 1))
'''

# -- E: the cost and the gradient as two functions with other names ------------
# Column-major, labels 1..K; the gradient found by its signature.
TWO_FUNCS = '''
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _thetas(nn_params, n_in, n_hid, K):
    T1 = nn_params[:n_hid * (n_in + 1)].reshape(n_hid, n_in + 1, order='F')
    T2 = nn_params[n_hid * (n_in + 1):].reshape(K, n_hid + 1, order='F')
    return T1, T2


def nnCostFunction(nn_params, n_in, n_hid, K, X, y, lambda_):
    T1, T2 = _thetas(nn_params, n_in, n_hid, K)
    m = X.shape[0]
    H = sigmoid(np.c_[np.ones(m), sigmoid(np.c_[np.ones(m), X] @ T1.T)] @ T2.T)
    Y = np.zeros((m, K))
    Y[np.arange(m), y - 1] = 1
    cost = -np.mean(np.sum(Y * np.log(H) + (1 - Y) * np.log(1 - H), axis=1))
    return cost + lambda_ / (2 * m) * ((T1[:, 1:] ** 2).sum() + (T2[:, 1:] ** 2).sum())


def DERIVATIVE(nn_params, n_in, n_hid, K, X, y, lambda_):
    T1, T2 = _thetas(nn_params, n_in, n_hid, K)
    m = X.shape[0]
    A1 = np.c_[np.ones(m), X]
    A2 = np.c_[np.ones(m), sigmoid(A1 @ T1.T)]
    H = sigmoid(A2 @ T2.T)
    Y = np.zeros((m, K))
    Y[np.arange(m), y - 1] = 1
    D3 = H - Y
    D2 = (D3 @ T2[:, 1:]) * A2[:, 1:] * (1 - A2[:, 1:])
    G1 = D2.T @ A1 / m
    G2 = D3.T @ A2 / m
    G1[:, 1:] += lambda_ / m * T1[:, 1:]
    G2[:, 1:] += lambda_ / m * T2[:, 1:]
    return np.r_[G1.ravel(order='F'), G2.ravel(order='F')]
'''


def cut(text, start, end):
    """``text`` without the lines from ``start`` up to the next ``end``."""
    i = text.index(start)
    return text[:i] + text[text.index(end, i):]


def edit(text, *pairs):
    for old, new in pairs:
        assert text.count(old) >= 1, old
        text = text.replace(old, new)
    return text


ALL = ["cost", "regularized_cost", "sigmoid_gradient", "gradient",
       "regularized_gradient", "rand_initialize_weights", "predict"]
COST4 = ["cost", "regularized_cost", "gradient", "regularized_gradient"]
OCTAVE_CONV = "column-major unrolling, labels 1..K, y of shape (m,)"
PYTHON_CONV = "row-major unrolling, labels 0..K-1, y of shape (m,)"
FMINCG_CONV = "row-major unrolling, labels 1..K, y of shape (m, 1)"


def outcome(submitted, failing=None, convention=None, **extra):
    """Every submitted part passes but ``failing`` (part: diagnosis)."""
    failing = failing or {}
    return {
        "parts": {
            p: (None if p not in submitted else p not in failing) for p in ALL
        },
        "diagnosis": failing,
        "convention": convention,
        **extra,
    }


OCT_PARTS = ALL
PY_PARTS = [p for p in ALL if p != "predict"]
LOOP_PARTS = COST4 + ["sigmoid_gradient"]
TWO_PARTS = COST4

OCT_REG = ("J = J + lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + "
           "np.sum(Theta2[:, 1:] ** 2))")
PY_GRAD_REG = ("Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + (lambda_ / m) * "
               "Theta1[:, 1:]")
PY_GRAD_REG2 = ("Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + (lambda_ / m) * "
                "Theta2[:, 1:]")

PROGRAMS = {
    # The five bases, correct.
    "octave_port.py": (OCTAVE, outcome(OCT_PARTS, convention=OCTAVE_CONV)),
    "python_edition_port.py": (PYTHON_PY, outcome(PY_PARTS, convention=PYTHON_CONV)),
    "fmincg_port.py": (FMINCG, outcome(OCT_PARTS, convention=FMINCG_CONV)),
    "loop_backprop.py": (LOOP, outcome(LOOP_PARTS, convention=OCTAVE_CONV)),
    "two_functions.py": (TWO_FUNCS, outcome(TWO_PARTS, convention=OCTAVE_CONV)),
    # The bias column in the cost's penalty, in three conventions.
    "octave_bias_in_penalty.py": (
        edit(OCTAVE, (OCT_REG, OCT_REG.replace("[:, 1:]", ""))),
        outcome(OCT_PARTS, {"regularized_cost": "bias_regularized"}, OCTAVE_CONV),
    ),
    "python_bias_in_penalty.py": (
        edit(PYTHON_PY, ("np.square(temp1[:, 1:])", "np.square(temp1)"),
             ("np.square(temp2[:, 1:])", "np.square(temp2)")),
        outcome(PY_PARTS, {"regularized_cost": "bias_regularized"}, PYTHON_CONV),
    ),
    "fmincg_bias_in_penalty.py": (
        edit(FMINCG, ("(np.sum(theta1[:, 1:] ** 2) + np.sum(theta2[:, 1:] ** 2))",
                      "(np.sum(theta1 ** 2) + np.sum(theta2 ** 2))")),
        outcome(OCT_PARTS, {"regularized_cost": "bias_regularized"}, FMINCG_CONV),
    ),
    # The gradient regularised with lambda * Theta, not lambda/m * Theta.
    "octave_grad_lambda_theta.py": (
        edit(OCTAVE, ("+= lambda_ / m * Theta1", "+= lambda_ * Theta1"),
             ("+= lambda_ / m * Theta2", "+= lambda_ * Theta2")),
        outcome(OCT_PARTS, {"regularized_gradient":
                            "gradient_regularization_not_over_m"}, OCTAVE_CONV),
    ),
    "python_grad_lambda_theta.py": (
        edit(PYTHON_PY, (PY_GRAD_REG, PY_GRAD_REG.replace("(lambda_ / m)", "lambda_")),
             (PY_GRAD_REG2, PY_GRAD_REG2.replace("(lambda_ / m)", "lambda_"))),
        outcome(PY_PARTS, {"regularized_gradient":
                           "gradient_regularization_not_over_m"}, PYTHON_CONV),
    ),
    "fmincg_grad_lambda_theta.py": (
        edit(FMINCG, ("(lam / m) * theta1", "lam * theta1"),
             ("(lam / m) * theta2", "lam * theta2")),
        outcome(OCT_PARTS, {"regularized_gradient":
                            "gradient_regularization_not_over_m"}, FMINCG_CONV),
    ),
    # The bias column zeroed through a view of nn_params (the input changed);
    # the values are the course's.
    "octave_bias_zeroed_in_view.py": (
        edit(OCTAVE, (OCT_REG, "Theta1[:, 0] = 0\n    Theta2[:, 0] = 0\n    "
                      "J = J + lambda_ / (2 * m) * (np.sum(Theta1 ** 2) + "
                      "np.sum(Theta2 ** 2))")),
        outcome(OCT_PARTS, {p: "bias_zeroed_in_input" for p in COST4}, OCTAVE_CONV),
    ),
    "python_bias_zeroed_in_view.py": (
        edit(PYTHON_PY, ("    temp1 = Theta1\n    temp2 = Theta2\n",
                         "    temp1 = Theta1\n    temp2 = Theta2\n"
                         "    temp1[:, 0] = 0\n    temp2[:, 0] = 0\n"),
             ("np.square(temp1[:, 1:])", "np.square(temp1)"),
             ("np.square(temp2[:, 1:])", "np.square(temp2)")),
        # Zeroing Theta1's bias changes z2 too: the gradient is wrong as well,
        # and the message says so after naming the zeroing.
        outcome(PY_PARTS, {p: "bias_zeroed_in_input" for p in COST4}, PYTHON_CONV,
                message_has={"gradient": "Also:"}),
    ),
    # A wrong weight-matrix shape in randInitializeWeights.
    "octave_init_transposed.py": (
        edit(OCTAVE, ("np.random.rand(L_out, 1 + L_in)", "np.random.rand(1 + L_in, L_out)")),
        outcome(OCT_PARTS, {"rand_initialize_weights": "wrong_shape"}, OCTAVE_CONV),
    ),
    "python_init_no_bias.py": (
        edit(PYTHON_PY, ("np.random.rand(L_out, 1 + L_in)", "np.random.rand(L_out, L_in)")),
        outcome(PY_PARTS, {"rand_initialize_weights": "wrong_shape"}, PYTHON_CONV),
    ),
    # The unfilled template (all zeros).
    "python_template.py": (
        edit(cut(PYTHON_PY, "    a1 = np.concatenate", "    # ====="),
             ("    g = sigmoid(z) * (1 - sigmoid(z))\n", ""),
             ("    W = np.random.rand(L_out, 1 + L_in) * 2 * epsilon_init - "
              "epsilon_init\n", "")),
        outcome(PY_PARTS, {p: "template" for p in PY_PARTS}),
    ),
    # The sigmoid gradient taken at the activations.
    "octave_sigmoid_at_activation.py": (
        edit(OCTAVE, ("sigmoidGradient(z2)", "sigmoidGradient(a2[:, 1:])")),
        outcome(OCT_PARTS, {"gradient": "sigmoid_gradient_of_activation",
                            "regularized_gradient": "sigmoid_gradient_of_activation"},
                OCTAVE_CONV),
    ),
    "python_sigmoid_at_activation.py": (
        edit(PYTHON_PY, ("sigmoidGradient(a1.dot(Theta1.T))", "sigmoidGradient(a2[:, 1:])")),
        outcome(PY_PARTS, {"gradient": "sigmoid_gradient_of_activation",
                           "regularized_gradient": "sigmoid_gradient_of_activation"},
                PYTHON_CONV),
    ),
    # An Octave port whose gradient is unrolled with NumPy's default order.
    "octave_gradient_unrolled_C.py": (
        edit(OCTAVE, ("np.concatenate([Theta1_grad.ravel(order='F'), "
                      "Theta2_grad.ravel(order='F')])",
                      "np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])")),
        outcome(OCT_PARTS, {"gradient": "unrolling_inconsistent",
                            "regularized_gradient": "unrolling_inconsistent"},
                OCTAVE_CONV),
    ),
    # Labels 0..K-1 in the cost (np.eye(K)[y]) but 1..K in predict: the cost is
    # right in its own convention, predict is the inconsistency.
    "octave_labels_0_in_cost.py": (
        edit(OCTAVE, ("Y = np.eye(num_labels)[y - 1]", "Y = np.eye(num_labels)[y]")),
        outcome(OCT_PARTS, {"predict": "labels_inconsistent"},
                "column-major unrolling, labels 0..K-1, y of shape (m,)"),
    ),
    # The separate gradient function zeroes the bias through a view.
    "fmincg_bias_zeroed_in_view.py": (
        edit(FMINCG, ("    grad1[:, 1:] += (lam / m) * theta1[:, 1:]\n"
                      "    grad2[:, 1:] += (lam / m) * theta2[:, 1:]\n",
                      "    theta1[:, 0] = 0\n    theta2[:, 0] = 0\n"
                      "    grad1 += (lam / m) * theta1\n    grad2 += (lam / m) * theta2\n")),
        outcome(OCT_PARTS, {"gradient": "bias_zeroed_in_input",
                            "regularized_gradient": "bias_zeroed_in_input"}, FMINCG_CONV),
    ),
    "fmincg_init_transposed.py": (
        edit(FMINCG, ("(l_out, l_in + 1))", "(l_in + 1, l_out))")),
        outcome(OCT_PARTS, {"rand_initialize_weights": "wrong_shape"}, FMINCG_CONV),
    ),
    # Inconsistencies between parts: the gradient unrolled column-major while
    # nn_params is read row-major; predict in the other label base.
    "python_gradient_unrolled_F.py": (
        edit(PYTHON_PY, ("np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])",
                         "np.concatenate([Theta1_grad.ravel(order='F'), "
                         "Theta2_grad.ravel(order='F')])")),
        outcome(PY_PARTS, {"gradient": "unrolling_inconsistent",
                           "regularized_gradient": "unrolling_inconsistent"},
                PYTHON_CONV),
    ),
    "fmincg_predict_0_based.py": (
        edit(FMINCG, ("(np.argmax(a3, axis=1) + 1).reshape(-1, 1)",
                      "np.argmax(a3, axis=1).reshape(-1, 1)")),
        outcome(OCT_PARTS, {"predict": "labels_inconsistent"}, FMINCG_CONV),
    ),
    # A real bug behind a convention difference: row-major, 0-based, and the
    # cross-entropy's (1 - y) log(1 - h) term dropped.
    "python_dropped_negative_term.py": (
        edit(PYTHON_PY, (" + np.log(1 - a3) * (1 - y_matrix)", "")),
        outcome(PY_PARTS, {"cost": "dropped_negative_term",
                           "regularized_cost": "dropped_negative_term"}, PYTHON_CONV),
    ),
    "loop_lambda_over_m.py": (
        edit(LOOP, ("(lambda_ / (2 * m)) * (np.sum", "(lambda_ / m) * (np.sum")),
        outcome(LOOP_PARTS, {"regularized_cost": "lambda_over_m"}, OCTAVE_CONV),
    ),
    # NumPy's AxisError is an IndexError: no label advice for it.
    "octave_axis_error.py": (
        edit(OCTAVE, ("    g = sigmoid(z) * (1 - sigmoid(z))\n    return g",
                      "    g = sigmoid(z) * (1 - sigmoid(z))\n"
                      "    return np.squeeze(g, axis=1)"),
             ("sigmoidGradient(z2)", "(sigmoid(z2) * (1 - sigmoid(z2)))")),
        outcome(OCT_PARTS, {"sigmoid_gradient": "raises"}, OCTAVE_CONV,
                message_has={"sigmoid_gradient": "AxisError"},
                message_lacks={"sigmoid_gradient": "label"}),
    ),
    # A library function removed since (np.asscalar, NumPy 1.23): reported as
    # the exception, with the file and line.
    "octave_removed_numpy_api.py": (
        edit(OCTAVE, ("    return J, grad", "    return np.asscalar(np.array(J)), grad")),
        outcome(OCT_PARTS, {p: "raises" for p in COST4}, None,
                message_has={"cost": "(octave_removed_numpy_api.py, line"}),
    ),
    # The learner's prints: they go to report.output, not into the report.
    "octave_prints.py": (
        edit(OCTAVE, ("    return J, grad", "    print('My cost is', J)\n    return J, grad"),
             ("    return W", "    print('weights', W.shape)\n    return W")),
        outcome(OCT_PARTS, convention=OCTAVE_CONV, printed="My cost is"),
    ),
    # Two functions whose signature fits: the gradient must be named.
    "two_functions_ambiguous.py": (
        TWO_FUNCS + textwrap.dedent('''

        E = 1e-4


        def numerical(nn_params, n_in, n_hid, K, X, y, lambda_):
            e = E
            out = np.zeros_like(nn_params)
            for i in range(nn_params.size):
                step = np.zeros_like(nn_params)
                step[i] = e
                out[i] = (nnCostFunction(nn_params + step, n_in, n_hid, K, X, y, lambda_)
                          - nnCostFunction(nn_params - step, n_in, n_hid, K, X, y, lambda_)) / (2 * e)
            return out
        '''),
        outcome(TWO_PARTS, {"gradient": "no_gradient",
                            "regularized_gradient": "no_gradient"}, OCTAVE_CONV),
    ),
}

# The same program, with the gradient named on the command line.
GRADIENT_NAMED = {"two_functions_ambiguous.py": "DERIVATIVE"}


# -- notebooks in the Python edition's layout -----------------------------------

SUBMISSION = '''
"""Submitting to the course's online grader (never reached offline)."""
import json
from urllib.parse import urlencode
from urllib.request import urlopen


class SubmissionBase:
    submit_url = 'https://www.coursera.org/api/onDemandProgrammingScriptSubmissions.v1'

    def __init__(self, assignment_slug, part_names):
        self.assignment_slug = assignment_slug
        self.part_names = part_names
        self.functions = {}

    def __setitem__(self, key, value):
        self.functions[key] = value

    def grade(self):
        params = {'jsonBody': json.dumps({'assignmentKey': self.assignment_slug})}
        return urlopen(self.submit_url, urlencode(params).encode('utf-8')).read()
'''

UTILS = '''
import sys
import numpy as np
from matplotlib import pyplot

sys.path.append('..')
from submission import SubmissionBase


def displayData(X, example_width=None, figsize=(10, 10)):
    fig, ax = pyplot.subplots(figsize=figsize)
    ax.imshow(X[:1].reshape(20, 20, order='F'), cmap='Greys')


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def predict(Theta1, Theta2, X):
    m = X.shape[0]
    h1 = sigmoid(np.dot(np.concatenate([np.ones((m, 1)), X], axis=1), Theta1.T))
    h2 = sigmoid(np.dot(np.concatenate([np.ones((m, 1)), h1], axis=1), Theta2.T))
    return np.argmax(h2, axis=1)


def checkNNGradients(nnCostFunction, lambda_=0):
    raise NotImplementedError('not needed offline')


class Grader(SubmissionBase):
    X = np.reshape(3 * np.sin(np.arange(1, 31)), (3, 10), order='F')

    def __init__(self):
        part_names = ['Feedforward and Cost Function', 'Regularized Cost Function',
                      'Sigmoid Gradient', 'Neural Network Gradient (Backpropagation)',
                      'Regularized Gradient']
        super().__init__('neural-network-learning', part_names)
'''

NB_IMPORTS = '''# used for manipulating directory paths
import os

# Scientific and vector computation for python
import numpy as np

# Plotting library
from matplotlib import pyplot

# Optimization module in scipy
from scipy import optimize

# will be used to load MATLAB mat datafile format
from scipy.io import loadmat

# library written for this exercise providing additional functions for assignment submission, and others
import utils

# define the submission/grader object for this exercise
grader = utils.Grader()

# tells matplotlib to embed plots within the notebook
%matplotlib inline'''

NB_DATA = '''#  training data stored in arrays X, y
data = loadmat(os.path.join('Data', 'ex4data1.mat'))
X, y = data['X'], data['y'].ravel()

# set the zero digit to 0, rather than its mapped 10 in this dataset
y[y == 10] = 0

# Number of training examples
m = y.size

# Randomly select 100 data points to display
rand_indices = np.random.choice(m, 100, replace=False)
sel = X[rand_indices, :]

utils.displayData(sel)'''

NB_SETUP = '''# Setup the parameters you will use for this exercise
input_layer_size  = 400  # 20x20 Input Images of Digits
hidden_layer_size = 25   # 25 hidden units
num_labels = 10          # 10 labels, from 0 to 9

# Load the weights into variables Theta1 and Theta2
weights = loadmat(os.path.join('Data', 'ex4weights.mat'))

# Theta1 has size 25 x 401
# Theta2 has size 10 x 26
Theta1, Theta2 = weights['Theta1'], weights['Theta2']

# swap first and last columns of Theta2, due to legacy from MATLAB indexing
Theta2 = np.roll(Theta2, 1, axis=0)

# Unroll parameters
nn_params = np.concatenate([Theta1.ravel(), Theta2.ravel()])'''

NB_SIGMOID = PYTHON_FUNCS[:PYTHON_FUNCS.index("def randInitializeWeights")].replace(
    "sigmoid(z)", "utils.sigmoid(z)")
NB_INIT = PYTHON_FUNCS[PYTHON_FUNCS.index("def randInitializeWeights"):
                       PYTHON_FUNCS.index("def nnCostFunction")]
NB_COST = PYTHON_FUNCS[PYTHON_FUNCS.index("def nnCostFunction"):].replace(
    "sigmoid(z2)", "utils.sigmoid(z2)").replace(
    "a3 = sigmoid(", "a3 = utils.sigmoid(")

NB_CELLS = [
    ("markdown", "# Programming Exercise 4: Neural Networks Learning"),
    ("code", NB_IMPORTS),
    ("markdown", "## 1 Neural Networks\n### 1.1 Visualizing the data"),
    ("code", NB_DATA),
    ("code", NB_SETUP),
    ("markdown", "### 1.3 Feedforward and cost function"),
    ("code", "COST"),
    ("code", "lambda_ = 0\nJ, _ = nnCostFunction(nn_params, input_layer_size, "
             "hidden_layer_size,\n                   num_labels, X, y, lambda_)\n"
             "print('Cost at parameters (loaded from ex4weights): %.6f ' % J)"),
    ("code", "grader[1] = nnCostFunction\ngrader.grade()"),
    ("code", "SIGMOID"),
    ("code", "z = np.array([-1, -0.5, 0, 0.5, 1])\ng = sigmoidGradient(z)\n"
             "print('Sigmoid gradient evaluated at [-1 -0.5 0 0.5 1]:\\n  ')\nprint(g)"),
    ("code", "INIT"),
    ("code", "print('Initializing Neural Network Parameters ...')\n\n"
             "initial_Theta1 = randInitializeWeights(input_layer_size, hidden_layer_size)\n"
             "initial_Theta2 = randInitializeWeights(hidden_layer_size, num_labels)\n\n"
             "initial_nn_params = np.concatenate([initial_Theta1.ravel(), "
             "initial_Theta2.ravel()], axis=0)"),
    ("code", "utils.checkNNGradients(nnCostFunction)"),
    ("code", "grader[4] = nnCostFunction\ngrader.grade()"),
    ("code", "options= {'maxiter': 100}\n\nlambda_ = 1\n\n"
             "costFunction = lambda p: nnCostFunction(p, input_layer_size,\n"
             "                                        hidden_layer_size,\n"
             "                                        num_labels, X, y, lambda_)\n\n"
             "res = optimize.minimize(costFunction,\n"
             "                        initial_nn_params,\n"
             "                        jac=True,\n"
             "                        method='TNC',\n"
             "                        options=options)\n\nnn_params = res.x\n\n"
             "Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],\n"
             "                    (hidden_layer_size, (input_layer_size + 1)))\n\n"
             "Theta2 = np.reshape(nn_params[(hidden_layer_size * (input_layer_size + 1)):],\n"
             "                    (num_labels, (hidden_layer_size + 1)))"),
    ("code", "pred = utils.predict(Theta1, Theta2, X)\n"
             "print('Training Set Accuracy: %f' % (np.mean(pred == y) * 100))"),
    ("code", "utils.displayData(Theta1[:, 1:])"),
]


def notebook(cost, sigmoid, init):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    parts = {"COST": cost, "SIGMOID": sigmoid, "INIT": init}
    for kind, text in NB_CELLS:
        text = parts.get(text, text).strip("\n")
        cell = (nbformat.v4.new_markdown_cell(text) if kind == "markdown"
                else nbformat.v4.new_code_cell(text))
        nb.cells.append(cell)
    return nb


NB_TEMPLATE_COST = cut(NB_COST, "    a1 = np.concatenate", "    # =====")

NOTEBOOKS = {
    "exercise4.ipynb": (
        (NB_COST, NB_SIGMOID, NB_INIT), outcome(PY_PARTS, convention=PYTHON_CONV)),
    "exercise4_template.ipynb": (
        (NB_TEMPLATE_COST,
         NB_SIGMOID.replace("    g = utils.sigmoid(z) * (1 - utils.sigmoid(z))\n", ""),
         NB_INIT.replace("    W = np.random.rand(L_out, 1 + L_in) * 2 * epsilon_init"
                         " - epsilon_init\n", "")),
        outcome(PY_PARTS, {p: "template" for p in PY_PARTS}),
    ),
    "exercise4_lambda_theta.ipynb": (
        (edit(NB_COST, (PY_GRAD_REG, PY_GRAD_REG.replace("(lambda_ / m)", "lambda_")),
              (PY_GRAD_REG2, PY_GRAD_REG2.replace("(lambda_ / m)", "lambda_"))),
         NB_SIGMOID, NB_INIT),
        outcome(PY_PARTS, {"regularized_gradient":
                           "gradient_regularization_not_over_m"}, PYTHON_CONV),
    ),
    "exercise4_bias_view.ipynb": (
        (edit(NB_COST, ("    temp1 = Theta1\n    temp2 = Theta2\n",
                        "    temp1 = Theta1\n    temp2 = Theta2\n"
                        "    temp1[:, 0] = 0\n    temp2[:, 0] = 0\n"),
              ("np.square(temp1[:, 1:])", "np.square(temp1)"),
              ("np.square(temp2[:, 1:])", "np.square(temp2)")),
         NB_SIGMOID, NB_INIT),
        outcome(PY_PARTS, {p: "bias_zeroed_in_input" for p in COST4}, PYTHON_CONV),
    ),
    "exercise4_init_shape.ipynb": (
        (NB_COST, NB_SIGMOID,
         NB_INIT.replace("np.random.rand(L_out, 1 + L_in)", "np.random.rand(L_in, 1 + L_out)")),
        outcome(PY_PARTS, {"rand_initialize_weights": "wrong_shape"}, PYTHON_CONV),
    ),
}


def main():
    import nbformat

    expected = {}
    for name, (text, result) in PROGRAMS.items():
        (HERE / name).write_text(text.lstrip("\n"))
        expected[name] = result
        if name in GRADIENT_NAMED:
            expected[name]["gradient_named"] = {
                "name": GRADIENT_NAMED[name],
                "parts": {p: (p in TWO_PARTS) or None for p in ALL},
            }
    edition = HERE / "python_edition"
    folder = edition / "Exercise4"
    folder.mkdir(parents=True, exist_ok=True)
    (edition / "submission.py").write_text(SUBMISSION.lstrip("\n"))
    (folder / "utils.py").write_text(UTILS.lstrip("\n"))
    for name, (cells, result) in NOTEBOOKS.items():
        nbformat.write(notebook(*cells), str(folder / name))
        expected["python_edition/Exercise4/" + name] = result
    (HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
