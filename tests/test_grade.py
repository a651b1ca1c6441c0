# ruff: noqa: E501 (the learner's code is written as learners write it)
"""Tests of skdigits.course.grade: the offline grader and its diagnoses.

Every mistake is written as a learner writes it: a correct exercise 4 in
plain NumPy (LEARNER below), with one line replaced.
"""

import textwrap
import threading
import time

import numpy as np
import pytest

from skdigits import course
from skdigits._grade import _problems, _variant, main
from skdigits.course import GradeReport, grade

LEARNER = textwrap.dedent(
    """
    import numpy as np


    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))


    def sigmoidGradient(z):
        g = sigmoid(z)
        return g * (1 - g)


    def randInitializeWeights(L_in, L_out):
        epsilon_init = 0.12
        return np.random.rand(L_out, 1 + L_in) * 2 * epsilon_init - epsilon_init


    def nnCostFunction(nn_params, input_layer_size, hidden_layer_size,
                       num_labels, X, y, lambda_):
        Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                            (hidden_layer_size, input_layer_size + 1), order="F")
        Theta2 = np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                            (num_labels, hidden_layer_size + 1), order="F")
        m = X.shape[0]
        y_matrix = np.eye(num_labels)[y - 1]
        a1 = np.concatenate([np.ones((m, 1)), X], axis=1)
        z2 = a1 @ Theta1.T
        a2 = np.concatenate([np.ones((m, 1)), sigmoid(z2)], axis=1)
        a3 = sigmoid(a2 @ Theta2.T)
        J = (-1 / m) * np.sum(y_matrix * np.log(a3) + (1 - y_matrix) * np.log(1 - a3))
        reg = (lambda_ / (2 * m)) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
        J = J + reg
        delta3 = a3 - y_matrix
        delta2 = (delta3 @ Theta2[:, 1:]) * sigmoidGradient(z2)
        Theta1_grad = (1 / m) * (delta2.T @ a1)
        Theta2_grad = (1 / m) * (delta3.T @ a2)
        Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + (lambda_ / m) * Theta1[:, 1:]
        Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + (lambda_ / m) * Theta2[:, 1:]
        grad = np.concatenate([Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")])
        return J, grad


    def predict(Theta1, Theta2, X):
        m = X.shape[0]
        h1 = sigmoid(np.concatenate([np.ones((m, 1)), X], axis=1) @ Theta1.T)
        h2 = sigmoid(np.concatenate([np.ones((m, 1)), h1], axis=1) @ Theta2.T)
        return np.argmax(h2, axis=1) + 1
    """
)


def learner(tmp_path, *edits, name="ex4.py"):
    """The learner's file with (old line, new line) edits; its path."""
    text = LEARNER
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


REG = (
    "reg = (lambda_ / (2 * m)) * (np.sum(Theta1[:, 1:] ** 2) + "
    "np.sum(Theta2[:, 1:] ** 2))"
)
J_LINE = (
    "J = (-1 / m) * np.sum(y_matrix * np.log(a3) + (1 - y_matrix) * np.log(1 - a3))"
)
GRAD1 = "Theta1_grad[:, 1:] = Theta1_grad[:, 1:] + (lambda_ / m) * Theta1[:, 1:]"
GRAD2 = "Theta2_grad[:, 1:] = Theta2_grad[:, 1:] + (lambda_ / m) * Theta2[:, 1:]"


def test_reference_passes_every_part():
    report = grade(course)
    assert isinstance(report, GradeReport)
    assert report.passed
    assert list(report.parts) == [
        "cost",
        "regularized_cost",
        "sigmoid_gradient",
        "gradient",
        "regularized_gradient",
        "rand_initialize_weights",
        "predict",
    ]
    assert all(r.passed is True and r.diagnosis is None for r in report.parts.values())


def test_correct_learner_file_passes_with_octave_names(tmp_path):
    report = grade(learner(tmp_path))
    assert report.passed, str(report)


def test_variant_without_mistake_is_the_reference():
    """The grader's own NumPy network is the course's, in both unrollings."""
    for plist in _problems().values():
        for p in plist:
            theta = np.concatenate([p.T1.ravel(order="F"), p.T2.ravel(order="F")])
            J_ref, grad_ref = course.nn_cost_function(
                theta, *p.sizes, p.X, p.cls + 1, p.lam
            )
            J, grad = _variant(p.T1, p.T2, p.X, p.cls, p.lam, "F")
            assert np.isclose(J, J_ref, rtol=1e-12)
            assert np.allclose(grad, grad_ref, rtol=1e-10, atol=1e-14)
            # Row-major: the same numbers, unrolled the other way.
            J_c, grad_c = _variant(p.T1, p.T2, p.X, p.cls, p.lam, "C")
            n1 = p.T1.size
            G1 = grad_ref[:n1].reshape(p.T1.shape, order="F")
            G2 = grad_ref[n1:].reshape(p.T2.shape, order="F")
            assert np.isclose(J_c, J_ref, rtol=1e-12)
            assert np.allclose(
                grad_c, np.concatenate([G1.ravel(), G2.ravel()]), rtol=1e-10
            )


def test_sources_dict_module_kwargs_and_missing_parts(tmp_path):
    report = grade({"sigmoid_gradient": course.sigmoid_gradient})
    assert report.parts["sigmoid_gradient"].passed is True
    for part in ("cost", "gradient", "predict", "rand_initialize_weights"):
        assert report.parts[part].passed is None
        assert "Not submitted" in report.parts[part].message
    assert report.passed  # every submitted part passes
    # Keyword arguments override the source.
    bad = grade(course, predict=lambda T1, T2, X: np.zeros(len(X), dtype=int))
    assert bad.parts["predict"].passed is False
    assert bad.parts["cost"].passed is True
    assert not bad.passed
    assert not grade().passed  # nothing submitted
    with pytest.raises(TypeError, match="unknown function name 'nnCost'"):
        grade(nnCost=course.nn_cost_function)
    with pytest.raises(TypeError, match="source must be"):
        grade(3)


def test_report_str_and_html():
    report = grade({"sigmoidGradient": lambda z: z})
    text = str(report)
    assert "sigmoid_gradient" in text and "FAILED" in text and "not submitted" in text
    assert "0 of 1 submitted parts passed" in text
    html = report._repr_html_()
    assert "<table>" in html and "FAILED" in html


COST_MISTAKES = [
    (
        "bias_regularized",
        [(REG, REG.replace("[:, 1:]", ""))],
        "bias column",
        ["regularized_cost"],
    ),
    (
        "lambda_over_m",
        [(REG, REG.replace("(2 * m)", "m"))],
        "lambda/m instead",
        ["regularized_cost"],
    ),
    (
        "no_one_over_m",
        [(REG, REG.replace("(lambda_ / (2 * m))", "(lambda_ / 2)"))],
        "not divided by m",
        ["regularized_cost"],
    ),
    (
        "averaged_over_mK",
        [(J_LINE, J_LINE.replace("(-1 / m)", "(-1 / (m * num_labels))"))],
        "m*K",
        ["cost", "regularized_cost"],
    ),
    (
        "dropped_negative_term",
        [(J_LINE, "J = (-1 / m) * np.sum(y_matrix * np.log(a3))")],
        "(1 - y) log(1 - h) term is missing",
        ["cost", "regularized_cost"],
    ),
    (
        "sigmoid_gradient_of_activation",
        [
            (
                "delta2 = (delta3 @ Theta2[:, 1:]) * sigmoidGradient(z2)",
                "delta2 = (delta3 @ Theta2[:, 1:]) * sigmoidGradient(a2[:, 1:])",
            )
        ],
        "applied to the activations",
        ["gradient", "regularized_gradient"],
    ),
    (
        "gradient_not_regularized",
        [(GRAD1, ""), (GRAD2, "")],
        "not regularised",
        ["regularized_gradient"],
    ),
    (
        "gradient_bias_regularized",
        [
            (GRAD1, "Theta1_grad = Theta1_grad + (lambda_ / m) * Theta1"),
            (GRAD2, "Theta2_grad = Theta2_grad + (lambda_ / m) * Theta2"),
        ],
        "bias column too",
        ["regularized_gradient"],
    ),
    (
        "gradient_times_m",
        [
            ("Theta1_grad = (1 / m) * (delta2.T @ a1)", "Theta1_grad = delta2.T @ a1"),
            ("Theta2_grad = (1 / m) * (delta3.T @ a2)", "Theta2_grad = delta3.T @ a2"),
        ],
        "not divided by m",
        ["gradient", "regularized_gradient"],
    ),
    (
        "gradient_over_m",
        [
            (
                "Theta1_grad = (1 / m) * (delta2.T @ a1)",
                "Theta1_grad = (delta2.T @ a1) / m / m",
            ),
            (
                "Theta2_grad = (1 / m) * (delta3.T @ a2)",
                "Theta2_grad = (delta3.T @ a2) / m / m",
            ),
        ],
        "divided by m twice",
        ["gradient", "regularized_gradient"],
    ),
    (
        "gradient_regularization_half",
        [
            (GRAD1, GRAD1.replace("(lambda_ / m)", "(lambda_ / (2 * m))")),
            (GRAD2, GRAD2.replace("(lambda_ / m)", "(lambda_ / (2 * m))")),
        ],
        "half of the derivative",
        ["regularized_gradient"],
    ),
    (
        "gradient_regularization_double",
        [
            (GRAD1, GRAD1.replace("(lambda_ / m)", "(2 * lambda_ / m)")),
            (GRAD2, GRAD2.replace("(lambda_ / m)", "(2 * lambda_ / m)")),
        ],
        "twice the derivative",
        ["regularized_gradient"],
    ),
    (
        "gradient_regularization_not_over_m",
        [
            (GRAD1, GRAD1.replace("(lambda_ / m)", "lambda_")),
            (GRAD2, GRAD2.replace("(lambda_ / m)", "lambda_")),
        ],
        "lambda * Theta",
        ["regularized_gradient"],
    ),
    (
        "labels_inconsistent",
        [("return np.argmax(h2, axis=1) + 1", "return np.argmax(h2, axis=1)")],
        "reads labels 1..K",
        ["predict"],
    ),
]


@pytest.mark.parametrize(
    "diagnosis, edits, phrase, failing",
    COST_MISTAKES,
    ids=[c[0] for c in COST_MISTAKES],
)
def test_each_classic_mistake_is_diagnosed(tmp_path, diagnosis, edits, phrase, failing):
    report = grade(learner(tmp_path, *edits))
    for part, result in report.parts.items():
        if part in failing:
            assert result.passed is False, (part, str(report))
            assert result.diagnosis == diagnosis, (part, result)
            assert phrase in result.message, (part, result.message)
            assert any(ch.isdigit() for ch in result.message)
            assert "\n" not in result.message
        else:
            assert result.passed is True, (part, str(report))


def test_penalty_ratio_is_the_number_shown(tmp_path):
    report = grade(learner(tmp_path, (REG, REG.replace("(2 * m)", "m"))))
    assert "it is 2 times the course's" in report.parts["regularized_cost"].message


def test_raising_function_gives_one_line_with_location(tmp_path):
    # y + 1 is out of range in both label bases.
    path = learner(
        tmp_path,
        ("y_matrix = np.eye(num_labels)[y - 1]", "y_matrix = np.eye(num_labels)[y + 1]"),
    )
    report = grade(path)
    result = report.parts["cost"]
    assert result.passed is False and result.diagnosis == "raises"
    assert result.message.startswith("nnCostFunction raised IndexError: index")
    assert "(ex4.py, line" in result.message
    assert "y holds labels" in result.message and "output unit" in result.message
    assert "Traceback" not in str(report)
    assert report.convention.startswith("not detected")


def test_axis_error_gets_no_label_advice():
    def sigmoid_gradient(z):
        return np.sum(course.sigmoid_gradient(z), axis=2)

    result = grade(sigmoid_gradient=sigmoid_gradient).parts["sigmoid_gradient"]
    assert result.diagnosis == "raises" and "AxisError" in result.message
    assert "label" not in result.message


def test_mutating_inputs_is_found(tmp_path):
    path = learner(tmp_path, ("m = X.shape[0]", "m = X.shape[0]\n    X[:, 0] = 1.0"))
    result = grade(path).parts["cost"]
    assert result.diagnosis == "mutates_input"
    assert "changed its input X in place" in result.message


def test_nan_and_log_of_zero_warning_give_a_finding_not_an_error():
    def nn_cost_function(nn_params, i, h, k, X, y, lambda_):
        J = float(np.log(np.zeros(1))[0] * 0.0)  # log(0) warns, then nan
        return J, np.zeros_like(nn_params)

    report = grade(nn_cost_function=nn_cost_function)
    result = report.parts["cost"]
    assert result.diagnosis == "not_finite"
    assert "J = nan" in result.message and "divide by zero" in result.message
    assert report.parts["gradient"].diagnosis == "template"


@pytest.mark.parametrize(
    "returned, diagnosis, phrase",
    [
        ("text", "wrong_type", "type str"),
        (3.0, "no_gradient", "returns J only"),
        ((1.0, 2.0, 3.0), "wrong_type", "3 values"),
    ],
)
def test_wrong_types_give_a_finding(returned, diagnosis, phrase):
    report = grade(nn_cost_function=lambda *args: returned)
    failed = [r for r in report.parts.values() if r.passed is False]
    assert failed
    assert any(r.diagnosis == diagnosis and phrase in r.message for r in failed), str(
        report
    )


def test_hanging_function_times_out():
    release = threading.Event()

    def sigmoid_gradient(z):
        release.wait(10)
        return z

    start = time.perf_counter()
    try:
        report = grade(sigmoid_gradient=sigmoid_gradient, timeout=0.2)
    finally:
        release.set()
    assert time.perf_counter() - start < 2
    result = report.parts["sigmoid_gradient"]
    assert result.diagnosis == "timeout"
    assert "did not return within 0.2 s" in result.message


@pytest.mark.parametrize(
    "body, diagnosis, phrase",
    [
        ("return np.zeros((L_out, 1 + L_in))", "template", "template"),
        ("return np.full((L_out, 1 + L_in), 0.1)", "init_not_random", "same value"),
        ("return np.random.randn(L_out, 1 + L_in)", "init_out_of_range", "outside"),
        (
            "return np.random.rand(L_out, 1 + L_in) * 0.12",
            "init_out_of_range",
            "one side of 0",
        ),
        (
            "return np.random.RandomState(0).uniform(-0.12, 0.12, (L_out, 1 + L_in))",
            "init_not_random",
            "same weights on every call",
        ),
        (
            "return np.random.rand(L_in, 1 + L_out) * 0.24 - 0.12",
            "wrong_shape",
            "L_in and L_out swapped",
        ),
        (
            "return np.random.rand(1 + L_in, L_out) * 0.24 - 0.12",
            "wrong_shape",
            "transposed",
        ),
    ],
)
def test_initialisation_mistakes(tmp_path, body, diagnosis, phrase):
    path = learner(
        tmp_path,
        (
            "return np.random.rand(L_out, 1 + L_in) * 2 * epsilon_init - epsilon_init",
            body,
        ),
    )
    result = grade(path).parts["rand_initialize_weights"]
    assert result.passed is False
    assert result.diagnosis == diagnosis and phrase in result.message, result


@pytest.mark.parametrize(
    "edit, diagnosis, phrase",
    [
        ("return np.argmax(h2, axis=1)", "labels_inconsistent", "labels 0..K-1"),
        ("return h2", "wrong_shape", "output activations"),
        ("return np.argmax(h2, axis=0) + 1", "wrong_shape", "one per row of X"),
    ],
)
def test_predict_mistakes(tmp_path, edit, diagnosis, phrase):
    path = learner(tmp_path, ("return np.argmax(h2, axis=1) + 1", edit))
    result = grade(path).parts["predict"]
    assert result.diagnosis == diagnosis and phrase in result.message, result


def test_interfaces_accepted_with_a_note(tmp_path):
    """J as a (1, 1) array, the gradient as a column, predict as a column."""
    path = learner(
        tmp_path,
        ("J = J + reg", "J = np.array([[J + reg]])"),
        ("return J, grad", "return J, grad.reshape(-1, 1)"),
        ("return np.argmax(h2, axis=1) + 1", "return (np.argmax(h2, axis=1) + 1)[:, None]"),
    )
    report = grade(path)
    assert report.passed, str(report)
    assert "array of shape (1, 1), accepted" in report.parts["cost"].message
    assert "shape (38, 1), accepted" in report.parts["gradient"].message
    assert "accepted" in report.parts["predict"].message


def test_each_convention_is_detected_and_named(tmp_path):
    """Row-major, 0-based labels and y as a column: each one passes, named."""
    row_major = [
        (
            '(hidden_layer_size, input_layer_size + 1), order="F")',
            "(hidden_layer_size, input_layer_size + 1))",
        ),
        (
            '(num_labels, hidden_layer_size + 1), order="F")',
            "(num_labels, hidden_layer_size + 1))",
        ),
        (
            'np.concatenate([Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")])',
            "np.concatenate([Theta1_grad.ravel(), Theta2_grad.ravel()])",
        ),
    ]
    zero_based = [
        ("y_matrix = np.eye(num_labels)[y - 1]", "y_matrix = np.eye(num_labels)[y]"),
        ("return np.argmax(h2, axis=1) + 1", "return np.argmax(h2, axis=1)"),
    ]
    column = [
        (
            "y_matrix = np.eye(num_labels)[y - 1]",
            "y_matrix = (y == np.arange(1, num_labels + 1)) * 1.0",
        )
    ]
    cases = [
        (row_major, "row-major unrolling, labels 1..K, y of shape (m,)"),
        (zero_based, "column-major unrolling, labels 0..K-1, y of shape (m,)"),
        (row_major + zero_based, "row-major unrolling, labels 0..K-1"),
        (column, "column-major unrolling, labels 1..K, y of shape (m, 1)"),
    ]
    for i, (edits, words) in enumerate(cases):
        report = grade(learner(tmp_path, *edits, name=f"conv{i}.py"))
        assert report.passed, str(report)
        assert report.convention.startswith(words), report.convention
    # A mistake in the learner's own convention is named in it.
    reg = (REG, REG.replace("[:, 1:]", ""))
    report = grade(learner(tmp_path, *row_major, *zero_based, reg, name="r.py"))
    assert report.parts["regularized_cost"].diagnosis == "bias_regularized"
    assert report.convention.startswith("row-major unrolling, labels 0..K-1")
    mixed = grade(learner(tmp_path, *row_major[:2], name="mixed.py"))
    assert mixed.parts["cost"].passed and not mixed.parts["gradient"].passed
    assert mixed.parts["gradient"].diagnosis == "unrolling_inconsistent"


def test_separate_gradient_function_by_name_and_by_argument():
    namespace = {}
    exec(LEARNER, namespace)
    both = namespace["nnCostFunction"]

    def J_only(nn_params, i, h, k, X, y, lambda_=0.0):
        return both(nn_params, i, h, k, X, y, lambda_)[0]

    def nnGradient(nn_params, i, h, k, X, y, lambda_=0.0):
        return both(nn_params, i, h, k, X, y, lambda_)[1]

    report = grade({"nnCostFunction": J_only, "nnGradient": nnGradient})
    assert report.parts["regularized_gradient"].passed, str(report)
    report = grade(nn_cost_function=J_only, gradient=nnGradient)
    assert report.parts["gradient"].passed, str(report)
    report = grade(nn_cost_function=J_only)
    assert report.parts["gradient"].diagnosis == "no_gradient"
    assert "--gradient NAME" in report.parts["gradient"].message


def test_sigmoid_gradient_of_activation_in_part(tmp_path):
    path = learner(
        tmp_path,
        ("    g = sigmoid(z)\n    return g * (1 - g)", "    return z * (1 - z)"),
    )
    report = grade(path)
    result = report.parts["sigmoid_gradient"]
    assert result.diagnosis == "sigmoid_gradient_of_activation"
    assert "z (1 - z)" in result.message


def test_unknown_mistake_gets_the_generic_finding(tmp_path):
    path = learner(tmp_path, ("J = J + reg", "J = J + reg + 0.01"))
    report = grade(path)
    result = report.parts["cost"]
    assert result.diagnosis == "differs"
    assert "where the course gives" in result.message
    assert "debugging network" in result.message
    gpath = learner(
        tmp_path,
        ("delta3 = a3 - y_matrix", "delta3 = a3 - y_matrix + 0.1"),
        name="ex4b.py",
    )
    gres = grade(gpath).parts["gradient"]
    assert gres.diagnosis == "differs" and "largest at Theta" in gres.message


def test_cli_exit_codes(tmp_path, capsys):
    assert main([str(learner(tmp_path))]) == 0
    assert "7 of 7 submitted parts passed" in capsys.readouterr().out
    bad = learner(tmp_path, ("J = J + reg", "J = J + reg + 1"), name="bad.py")
    assert main([str(bad)]) == 1
    assert "FAILED" in capsys.readouterr().out
    # Top-level code that fails is not needed by the functions: it is skipped.
    script = learner(tmp_path, name="script.py")
    script.write_text(script.read_text() + "\nraise RuntimeError('no data file')\n")
    assert main([str(script)]) == 0
    capsys.readouterr()
    for name, text, phrase in [
        ("empty.py", "import numpy as np\nraise RuntimeError('x')\n", "defines none"),
        ("octave.py", "function g = sigmoidGradient(z)\n  g = z;\nend\n", "SyntaxError"),
        ("ex4.m", "function g = sigmoidGradient(z)\nend\n", "Octave/MATLAB file"),
        ("missing.py", None, "no such file"),
    ]:
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        assert main([str(path)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and name in err and phrase in err, err
        assert len(err.strip().splitlines()) == 1


def test_one_hot_y_is_a_convention_too():
    def nnCostFunction(nn_params, i, h, K, X, Y, lambda_):
        if Y.ndim != 2:
            raise ValueError("this code takes the one-hot matrix")
        y = np.argmax(Y, axis=1) + 1
        return course.nn_cost_function(nn_params, i, h, K, X, y, lambda_)

    report = grade(nnCostFunction=nnCostFunction, predict=course.predict)
    assert report.passed, str(report)
    assert report.convention == "column-major unrolling, y one-hot of shape (m, K)"
