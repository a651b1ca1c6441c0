import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._base import binary_log_loss

from skdigits import MLPDigitClassifier
from skdigits.course import (
    check_nn_gradients,
    classifier_from_thetas,
    compute_numerical_gradient,
    debug_initialize_weights,
    display_data,
    nn_cost_function,
    predict,
    rand_initialize_weights,
    sigmoid,
    sigmoid_gradient,
    unroll_thetas,
)
from skdigits.datasets import load_course_weights, load_digits

EX4WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ex4weights.mat"


@pytest.fixture(scope="module")
def ex4_thetas():
    if not EX4WEIGHTS.is_file():
        pytest.skip(f"the course's weights are not at {EX4WEIGHTS}")
    return load_course_weights(EX4WEIGHTS)


@pytest.fixture(scope="module")
def course_digits():
    """The bundled digits in the course's layout: column-major, labels 1..10."""
    digits = load_digits(size=20)
    X = np.array([image.ravel(order="F") for image in digits.images])
    return X, np.where(digits.target == 0, 10, digits.target)


def _unroll(*thetas):
    return np.concatenate([T.ravel(order="F") for T in thetas])


def _course_cost(nn_params, n_in, n_hidden, K, X, y, lambda_):
    """Exercise 4's nnCostFunction, transcribed statement by statement."""
    Theta1 = nn_params[: n_hidden * (n_in + 1)].reshape((n_hidden, n_in + 1), order="F")
    Theta2 = nn_params[n_hidden * (n_in + 1) :].reshape((K, n_hidden + 1), order="F")
    m = X.shape[0]
    Y = np.eye(K)[y - 1]
    a1 = np.hstack([np.ones((m, 1)), X])
    z2 = a1 @ Theta1.T
    a2 = np.hstack([np.ones((m, 1)), 1 / (1 + np.exp(-z2))])
    h = 1 / (1 + np.exp(-(a2 @ Theta2.T)))
    J = np.sum(-Y * np.log(h) - (1 - Y) * np.log(1 - h)) / m
    J += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    Theta1_grad = np.zeros_like(Theta1)
    Theta2_grad = np.zeros_like(Theta2)
    for t in range(m):
        d3 = h[t] - Y[t]
        g = 1 / (1 + np.exp(-z2[t]))
        d2 = (Theta2.T @ d3)[1:] * g * (1 - g)
        Theta2_grad += np.outer(d3, a2[t])
        Theta1_grad += np.outer(d2, a1[t])
    Theta1_grad /= m
    Theta2_grad /= m
    Theta1_grad[:, 1:] += lambda_ / m * Theta1[:, 1:]
    Theta2_grad[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, _unroll(Theta1_grad, Theta2_grad)


# ----------------------------------------------------------------- the course


def test_sigmoid_and_its_gradient():
    assert sigmoid_gradient(0) == 0.25
    assert sigmoid(0) == 0.5
    np.testing.assert_allclose(sigmoid([-1e3, 1e3]), [0.0, 1.0])
    z = np.linspace(-5, 5, 11)
    numeric = (sigmoid(z + 1e-6) - sigmoid(z - 1e-6)) / 2e-6
    np.testing.assert_allclose(sigmoid_gradient(z), numeric, rtol=1e-8)
    assert sigmoid_gradient(np.zeros((2, 3))).shape == (2, 3)


@pytest.mark.parametrize("lambda_", [0, 3])
def test_check_nn_gradients_meets_the_course_threshold(lambda_):
    assert check_nn_gradients(lambda_) < 1e-9


def test_debug_weights_are_sin_filled_column_by_column():
    W = debug_initialize_weights(5, 3)
    assert W.shape == (5, 4)
    for i in range(5):
        for j in range(4):
            # MATLAB's reshape: element (i, j) is number 1 + i + 5 j.
            # Tolerance: NumPy's vectorised and scalar sin may round differently.
            assert W[i, j] == pytest.approx(np.sin(1 + i + 5 * j) / 10, rel=1e-14)


def test_rand_initialize_weights_are_the_classifiers_initial_weights(course_digits):
    X, y = course_digits[0][:300], course_digits[1][:300]
    rng = np.random.RandomState(7)
    Theta1 = rand_initialize_weights(400, 25, random_state=rng)
    Theta2 = rand_initialize_weights(25, 10, random_state=rng)
    assert Theta1.shape == (25, 401) and Theta2.shape == (10, 26)
    assert np.abs(Theta1).max() <= 0.12 and np.abs(Theta1).max() > 0.11
    params = dict(solver="cg", max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        own = MLPDigitClassifier(random_state=7, **params).fit(X, y)
        given = MLPDigitClassifier(init=[Theta1, Theta2], **params).fit(X, y)
    # Exact: the same initial weights, then the same fit on the same data.
    for a, b in zip(own.coefs_ + own.intercepts_, given.coefs_ + given.intercepts_):
        np.testing.assert_array_equal(a, b)
    small = rand_initialize_weights(3, 2, epsilon_init=1e-3, random_state=0)
    assert np.abs(small).max() <= 1e-3


@pytest.mark.parametrize(
    "n_in, n_hidden, K, lambda_", [(4, 3, 2, 0.0), (6, 5, 4, 1.5), (400, 25, 10, 1.0)]
)
def test_nn_cost_function_is_the_course_formula(n_in, n_hidden, K, lambda_, rng):
    m = 40
    X = rng.rand(m, n_in)
    y = 1 + np.arange(m) % K
    nn_params = rng.uniform(-1, 1, n_hidden * (n_in + 1) + K * (n_hidden + 1))
    J, grad = nn_cost_function(nn_params, n_in, n_hidden, K, X, y, lambda_)
    J_ref, grad_ref = _course_cost(nn_params, n_in, n_hidden, K, X, y, lambda_)
    assert isinstance(J, float)
    assert J == pytest.approx(J_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-14)


def test_nn_cost_function_accepts_matlab_column_vectors(rng):
    X, y = rng.rand(6, 3), np.array([[1], [2], [3], [1], [2], [3]])
    nn_params = rng.uniform(-1, 1, (4 * 4 + 3 * 5, 1))
    J, grad = nn_cost_function(nn_params, 3, 4, 3, X, y, 1.0)
    J_flat, grad_flat = nn_cost_function(nn_params.ravel(), 3, 4, 3, X, y.ravel(), 1)
    # Exact: both calls flatten to the same arrays, then run the same code.
    assert J == J_flat and grad.shape == (31,)
    np.testing.assert_array_equal(grad, grad_flat)


def test_numerical_gradient_is_central_differences(rng):
    A = rng.rand(4, 4)
    theta = rng.rand(4)
    before = theta.copy()
    numgrad = compute_numerical_gradient(lambda t: float(t @ A @ t), theta)
    np.testing.assert_allclose(numgrad, (A + A.T) @ theta, rtol=1e-7)
    np.testing.assert_array_equal(theta, before)
    # A cubic's central difference has error e**2 exactly: (t+e)^3-(t-e)^3 / 2e.
    assert compute_numerical_gradient(lambda t: (t[0] ** 3, None), [1.0], e=0.1)[
        0
    ] == pytest.approx(3 + 0.01)


# ------------------------------------------------- the course's pretrained weights


def test_penalty_of_the_course_weights_at_m_5000(ex4_thetas, rng):
    # The course: J = 0.287629 (lambda 0), 0.383770 (lambda 1), 0.576051 (lambda
    # 3) on its 5000 images; the penalty does not depend on the data.
    nn_params = _unroll(*ex4_thetas)
    X, y = rng.rand(5000, 400), rng.randint(1, 11, size=5000)
    J = {
        lam: nn_cost_function(nn_params, 400, 25, 10, X, y, lam)[0] for lam in (0, 1, 3)
    }
    assert J[1] - J[0] == pytest.approx(0.383770 - 0.287629, abs=5e-7)
    assert J[3] - J[0] == pytest.approx(0.576051 - 0.287629, abs=5e-7)


@pytest.mark.parametrize("lambda_", [0.0, 1.0, 3.0])
def test_nn_cost_function_equals_sklearn_mlp_loss(ex4_thetas, course_digits, lambda_):
    Theta1, Theta2 = ex4_thetas
    X, y = course_digits
    Y = np.eye(10)[y - 1]
    mlp = MLPClassifier(hidden_layer_sizes=(25,), activation="logistic", alpha=lambda_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.set_params(max_iter=1).fit(X[:50], Y[:50])
    mlp.coefs_ = [Theta1[:, 1:].T, Theta2[:, 1:].T]
    mlp.intercepts_ = [Theta1[:, 0], Theta2[:, 0]]
    m = X.shape[0]
    sklearn_loss = (
        binary_log_loss(Y, mlp.predict_proba(X))
        + lambda_ / 2 * sum(np.sum(W**2) for W in mlp.coefs_) / m
    )
    J, _ = nn_cost_function(_unroll(Theta1, Theta2), 400, 25, 10, X, y, lambda_)
    assert abs(J - sklearn_loss) < 1e-9


def test_classifier_from_thetas_predicts_what_predict_predicts(
    ex4_thetas, course_digits
):
    Theta1, Theta2 = ex4_thetas
    X = course_digits[0]
    expected = predict(Theta1, Theta2, X)
    assert set(np.unique(expected)) <= set(range(1, 11))
    # Exact: course.predict and the classifier share one forward pass
    # (skdigits._network.forward_logits) on the same weights.
    clf = classifier_from_thetas([Theta1, Theta2])
    np.testing.assert_array_equal(clf.classes_, np.arange(1, 11))
    np.testing.assert_array_equal(clf.predict(X), expected)
    digits = classifier_from_thetas(
        [Theta1, Theta2], classes=[1, 2, 3, 4, 5, 6, 7, 8, 9, 0]
    )
    np.testing.assert_array_equal(digits.classes_, np.arange(10))
    np.testing.assert_array_equal(digits.predict(X), expected % 10)
    proba = digits.predict_proba(X[:20])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(
        digits.classes_[proba.argmax(axis=1)], expected[:20] % 10
    )
    # The course's weights know the course's digits, oriented column-major.
    assert digits.score(X, course_digits[1] % 10) > 0.3


def test_predict_is_the_largest_output_unit(rng, assert_clear_predictions_agree):
    Theta1, Theta2 = rng.randn(6, 5), rng.randn(3, 7)
    X = rng.rand(30, 4)
    a2 = sigmoid(np.hstack([np.ones((30, 1)), X]) @ Theta1.T)
    h = sigmoid(np.hstack([np.ones((30, 1)), a2]) @ Theta2.T)
    # The course's bias column rounds differently from predict's intercepts.
    assert_clear_predictions_agree(
        predict(Theta1, Theta2, X), h.argmax(axis=1) + 1, h, clear=1.0
    )


def test_classifier_from_thetas_is_a_fitted_estimator(course_digits, rng):
    X, y = course_digits[0][:200], course_digits[1][:200] % 10
    thetas = [rng.uniform(-0.5, 0.5, (7, 401)), rng.uniform(-0.5, 0.5, (10, 8))]
    classes = np.array([3, 1, 4, 0, 5, 9, 2, 6, 8, 7])
    clf = classifier_from_thetas(thetas, classes=classes)
    # Exact: one forward pass (skdigits._network.forward_logits) for both.
    np.testing.assert_array_equal(clf.predict(X), classes[predict(*thetas, X) - 1])
    assert clf.n_features_in_ == 400 and clf.n_layers_ == 3 and clf.n_outputs_ == 10
    assert clf.out_activation_ == "logistic" and clf.loss_curve_ == []
    assert clf.n_iter_ == 0 and clf.hidden_layer_sizes == (7,)
    assert [W.shape for W in clf.coefs_] == [(400, 7), (7, 10)]
    # Refitting a clone starts from the same weights as continuing the fit.
    params = dict(solver="cg", max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cloned = clone(clf).set_params(**params).fit(X, y)
        continued = clf.set_params(warm_start=True, **params).fit(X, y)
    for a, b in zip(
        cloned.coefs_ + cloned.intercepts_, continued.coefs_ + continued.intercepts_
    ):
        # Exact: both start from the same weights and run the same fit.
        np.testing.assert_array_equal(a, b)
    assert continued.n_iter_ == 1


def test_classifier_from_thetas_deeper_network(rng, assert_clear_predictions_agree):
    thetas = [rng.randn(5, 4), rng.randn(4, 6), rng.randn(3, 5)]
    clf = classifier_from_thetas(thetas, classes=["x", "y", "z"])
    X = rng.rand(25, 3)
    a = X
    for T in thetas:
        a = sigmoid(np.hstack([np.ones((len(a), 1)), a]) @ T.T)
    # The course's bias column rounds differently from the intercepts.
    assert_clear_predictions_agree(
        clf.predict(X), np.array(["x", "y", "z"])[a.argmax(1)], a, clear=1.0
    )
    assert clf.hidden_layer_sizes == (5, 4)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(nn_params=np.zeros(30)), r"nn_params has shape \(30,\).*31 parameters"),
        (dict(X=np.zeros((6, 4))), "X has 4 features per sample"),
        (dict(y=np.array([0, 1, 2, 3, 1, 2])), r"labels 1\.\.3"),
        (dict(y=np.array([1, 2, 3])), "y has 3 labels for the 6 samples"),
        (dict(num_labels=1), "num_labels must be an integer >= 2"),
        (dict(lambda_=-1.0), "lambda_ must be a number >= 0"),
        (dict(X=np.full((6, 3), np.nan)), "NaN"),
        (dict(hidden_layer_size=2.5), "hidden_layer_size must be an integer"),
    ],
)
def test_nn_cost_function_bad_input(change, message):
    args = dict(
        nn_params=np.zeros(31),
        input_layer_size=3,
        hidden_layer_size=4,
        num_labels=3,
        X=np.zeros((6, 3)),
        y=np.array([1, 2, 3, 1, 2, 3]),
        lambda_=0.0,
    )
    args.update(change)
    with pytest.raises(ValueError, match=message):
        nn_cost_function(**args)


def test_predict_and_classifier_from_thetas_bad_input(rng):
    Theta1, Theta2 = rng.randn(5, 4), rng.randn(3, 6)
    with pytest.raises(
        ValueError, match="X has 2 features per sample, but Theta1 expects 3"
    ):
        predict(Theta1, Theta2, rng.rand(4, 2))
    with pytest.raises(ValueError, match="Theta2 has shape .* needs 6 columns"):
        predict(Theta1, rng.randn(3, 5), rng.rand(4, 3))
    with pytest.raises(ValueError, match="at least two weight matrices"):
        classifier_from_thetas([Theta1])
    with pytest.raises(TypeError, match="list of weight matrices"):
        classifier_from_thetas(Theta1)
    with pytest.raises(
        ValueError, match="classes has 2 labels, but the output layer has 3"
    ):
        classifier_from_thetas([Theta1, Theta2], classes=[0, 1])
    with pytest.raises(ValueError, match="distinct"):
        classifier_from_thetas([Theta1, Theta2], classes=[0, 1, 1])
    with pytest.raises(ValueError, match="at least 2"):
        classifier_from_thetas([Theta1, rng.randn(1, 6)])
    with pytest.raises(ValueError, match="finite"):
        classifier_from_thetas([Theta1, np.full((3, 6), np.inf)])
    with pytest.raises(TypeError, match="callable"):
        compute_numerical_gradient(3.0, [1.0])
    with pytest.raises(ValueError, match="does not divide"):
        display_data(np.zeros((2, 10)), example_width=3)


# ------------------------------------------------------------------ pictures


def _letter_f(height=20, width=20):
    """An upright "F": no symmetry, so any flip or transpose shows."""
    image = np.zeros((height, width))
    image[2:-2, 3] = 1.0  # the stem, on the left
    image[2, 3:-4] = 1.0  # the top bar
    image[height // 2, 3 : width // 2] = 0.5  # the middle bar
    return image


def test_display_data_shows_column_major_images_upright(pyplot):
    F = _letter_f()
    X = np.stack([F.ravel(order="F"), 2 * F[:, ::-1].ravel(order="F")])
    ax = display_data(X)
    grid = np.asarray(ax.images[0].get_array())
    # Course layout: floor(sqrt(2)) = 1 row, 2 columns, 1-pixel black border.
    assert grid.shape == (22, 43)
    np.testing.assert_array_equal(grid[1:21, 1:21], F)
    np.testing.assert_array_equal(grid[1:21, 22:42], F[:, ::-1])  # scaled to max 1
    assert np.all(grid[0] == -1) and np.all(grid[:, 21] == -1)
    assert ax.images[0].get_clim() == (-1, 1)


def test_display_data_example_width_for_non_square_images(pyplot):
    F = _letter_f(height=12, width=8)
    _, ax = pyplot.subplots()
    assert display_data(F.ravel(order="F"), example_width=8, ax=ax) is ax
    np.testing.assert_array_equal(np.asarray(ax.images[0].get_array())[1:13, 1:9], F)


def test_nn_cost_function_given_matrices_says_to_unroll():
    Theta1 = debug_initialize_weights(5, 3)
    Theta2 = debug_initialize_weights(3, 5)
    X = debug_initialize_weights(5, 2)
    y = np.array([2, 3, 1, 2, 3])
    with pytest.raises(ValueError, match=r"unroll_thetas\(\(Theta1, Theta2\)\)"):
        nn_cost_function((Theta1, Theta2), 3, 5, 3, X, y, 0.0)
    nn_params = unroll_thetas((Theta1, Theta2))
    np.testing.assert_array_equal(
        nn_params, np.concatenate([Theta1.ravel(order="F"), Theta2.ravel(order="F")])
    )
    J, _ = nn_cost_function(nn_params, 3, 5, 3, X, y, 0.0)
    assert bool(np.isclose(J, 2.1009, atol=1e-4))
    with pytest.raises(ValueError, match="Theta2 has shape"):
        unroll_thetas((Theta1, np.ones((3, 4))))


def test_classifier_from_thetas_exports_to_keras():
    pytest.importorskip("keras")
    thetas = [debug_initialize_weights(5, 3), debug_initialize_weights(4, 5)]
    clf = classifier_from_thetas(thetas)
    model = clf.to_keras()
    X = np.sin(np.arange(6.0)).reshape(2, 3)
    proba = model.predict(X, verbose=0)
    assert np.allclose(
        proba / proba.sum(axis=1, keepdims=True), clf.predict_proba(X), atol=1e-5
    )


def test_classifier_from_thetas_has_every_fitted_attribute(rng):
    thetas = [debug_initialize_weights(5, 3), debug_initialize_weights(4, 5)]
    clf = classifier_from_thetas(thetas)
    fitted = MLPDigitClassifier(hidden_layer_sizes=(5,), max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted.fit(rng.rand(20, 3), np.arange(20) % 4)
    state = {k for k in vars(fitted) if k.endswith("_") or k.startswith("_")}
    assert state - set(vars(clf)) == set()
