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
    theta1[:, 0] = 0
    theta2[:, 0] = 0
    grad1 += (lam / m) * theta1
    grad2 += (lam / m) * theta2
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
