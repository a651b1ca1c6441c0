# ruff: noqa: E501 (the learner's code is written as learners write it)
"""Tests of skdigits.course.grade: the offline grader and its diagnoses.

Every mistake is written as a learner writes it: a correct exercise 4 in
plain NumPy (LEARNER below), with one line replaced.
"""

import subprocess
import sys
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
    assert html.startswith("<table>") and "FAILED" in html


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
        "labels_0_based",
        [
            (
                "y_matrix = np.eye(num_labels)[y - 1]",
                "y_matrix = (y[:, None] == np.arange(num_labels)).astype(float)",
            )
        ],
        "0..K-1",
        ["cost", "regularized_cost", "gradient", "regularized_gradient"],
    ),
    (
        "row_major",
        [
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
        ],
        "row-major",
        ["cost", "regularized_cost", "gradient", "regularized_gradient"],
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
        "gradient_shape",
        [("return J, grad", "return J, grad.reshape(-1, 1)")],
        "shape",
        ["gradient", "regularized_gradient"],
    ),
    (
        "cost_is_array",
        [("J = J + reg", "J = np.array([[J + reg]])")],
        "array of shape (1, 1)",
        ["cost", "regularized_cost"],
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
    path = learner(
        tmp_path,
        ("y_matrix = np.eye(num_labels)[y - 1]", "y_matrix = np.eye(num_labels)[y]"),
    )
    report = grade(path)
    result = report.parts["cost"]
    assert result.passed is False and result.diagnosis == "raises"
    assert result.message.startswith("nnCostFunction raised IndexError: index 3")
    assert "(ex4.py, line" in result.message
    assert "index with y - 1" in result.message
    assert "Traceback" not in str(report)


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
    assert report.parts["gradient"].diagnosis == "gradient_zero"


@pytest.mark.parametrize(
    "returned, diagnosis, phrase",
    [
        ("text", "wrong_type", "type str"),
        (3.0, "wrong_type", "single value"),
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
        ("return np.zeros((L_out, 1 + L_in))", "init_not_random", "same value"),
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
            "shape",
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
        ("return np.argmax(h2, axis=1)", "labels_0_based", "labels 0..K-1"),
        ("return h2", "wrong_shape", "output activations"),
        ("return (np.argmax(h2, axis=1) + 1)[:, None]", "wrong_shape", "(m, 1)"),
    ],
)
def test_predict_mistakes(tmp_path, edit, diagnosis, phrase):
    path = learner(tmp_path, ("return np.argmax(h2, axis=1) + 1", edit))
    result = grade(path).parts["predict"]
    assert result.diagnosis == diagnosis and phrase in result.message, result


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
    broken = tmp_path / "broken.py"
    broken.write_text("import numpy as np\nraise RuntimeError('no data file')\n")
    assert main([str(broken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot import") and "no data file" in err
    assert len(err.strip().splitlines()) == 1
    assert main([str(tmp_path / "missing.py")]) == 2


def test_python_m_skdigits_grade_and_help(tmp_path):
    path = learner(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "skdigits", "grade", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "passed" in run.stdout
    helped = subprocess.run(
        [sys.executable, "-m", "skdigits", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "grade FILE" in helped.stdout


def test_grade_imports_neither_tensorflow_nor_matplotlib_and_is_fast():
    code = (
        "import sys, time\n"
        "from skdigits import course\n"
        "start = time.perf_counter()\n"
        "report = course.grade(course)\n"
        "seconds = time.perf_counter() - start\n"
        "assert report.passed\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('tensorflow', 'keras', 'matplotlib')]\n"
        "print(seconds, heavy)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    seconds, heavy = run.stdout.split(" ", 1)
    assert heavy.strip() == "[]"
    assert float(seconds) < 2
