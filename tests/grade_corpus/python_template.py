import numpy as np
from scipy import optimize
from scipy.io import loadmat


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def sigmoidGradient(z):
    """Computes the gradient of the sigmoid function evaluated at z."""
    g = np.zeros(z.shape)

    # ====================== YOUR CODE HERE ======================
    # =============================================================
    return g


def randInitializeWeights(L_in, L_out, epsilon_init=0.12):
    """Randomly initialize the weights of a layer in a neural network."""
    W = np.zeros((L_out, 1 + L_in))

    # ====================== YOUR CODE HERE ======================
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
    # ================================================================
    # Unroll gradients
    grad = np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])

    return J, grad


data = loadmat('ex4data1.mat')
X, y = data['X'], data['y'].ravel()
y[y == 10] = 0
options = {'maxiter': 100}
lambda_ = 1
costFunction = lambda p: nnCostFunction(p, 400, 25, 10, X, y, lambda_)
res = optimize.minimize(costFunction, np.zeros(10285), jac=True, method='TNC',
                        options=options)
