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
