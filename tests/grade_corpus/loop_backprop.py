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
