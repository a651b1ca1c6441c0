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
    W = np.random.rand(1 + L_in, L_out) * 2 * epsilon_init - epsilon_init
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
