"""The grader and notebooks: bad notebooks, ``grade(globals())``, the HTML report."""

import json

import pytest

from skdigits._grade import main
from skdigits.course import grade

nbformat = pytest.importorskip("nbformat")

COST = """
import numpy as np
from scipy.special import expit as sigmoid


def nnCostFunction(nn_params, input_layer_size, hidden_layer_size, num_labels,
                   X, y, lambda_=0.0):
    n1 = hidden_layer_size * (input_layer_size + 1)
    Theta1 = nn_params[:n1].reshape(hidden_layer_size, input_layer_size + 1)
    Theta2 = nn_params[n1:].reshape(num_labels, hidden_layer_size + 1)
    m = y.size
    a1 = np.c_[np.ones(m), X]
    z2 = a1 @ Theta1.T
    a2 = np.c_[np.ones(m), sigmoid(z2)]
    h = sigmoid(a2 @ Theta2.T)
    Y = np.eye(num_labels)[y]
    J = -np.sum(Y * np.log(h) + (1 - Y) * np.log(1 - h)) / m
    J += lambda_ / (2 * m) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))
    d3 = h - Y
    d2 = (d3 @ Theta2[:, 1:]) * sigmoid(z2) * (1 - sigmoid(z2))
    G1, G2 = d2.T @ a1 / m, d3.T @ a2 / m
    G1[:, 1:] += lambda_ / m * Theta1[:, 1:]
    G2[:, 1:] += lambda_ / m * Theta2[:, 1:]
    return J, np.concatenate([G1.ravel(), G2.ravel()])
"""


def write_notebook(path, cells, language="python"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": language, "language": language}
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(path))
    return path


def test_notebook_cells_that_fail_do_not_stop_grading(tmp_path):
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [
            "%matplotlib inline\nimport os",
            "data = np.load(os.path.join('Data', 'absent.npz'))\nX = data['X']",
            COST,
            "def broken(:\n    pass",  # a cell with a syntax error
            "for i in range(10 ** 12):\n    pass",  # endless training
            "J, grad = nnCostFunction(nn_params, 400, 25, 10, X, y, 1)",
            "!pip install something\nprint('submitted')",
        ],
    )
    report = grade(path)
    assert report.parts["cost"].passed and report.parts["regularized_gradient"].passed
    assert report.convention.startswith("row-major unrolling, labels 0..K-1")
    assert any("syntax error" in note for note in report.notes)
    assert report.seconds < 5


@pytest.mark.parametrize(
    "content, phrase",
    [
        ("{not json", "not a valid notebook"),
        (json.dumps({"cells": "nope"}), "not a valid notebook"),
        (None, "defines none of the exercise's functions"),
        ("R", "language is R, not Python"),
    ],
)
def test_bad_notebooks_give_one_error_line_and_exit_2(
    tmp_path, capsys, content, phrase
):
    path = tmp_path / "learner.ipynb"
    if content is None:
        write_notebook(path, ["import numpy as np\nx = np.zeros(3)", "print(x)"])
    elif content == "R":
        write_notebook(path, ["sigmoidGradient <- function(z) z"], language="R")
    else:
        path.write_text(content)
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "learner.ipynb" in err and phrase in err, err
    assert len(err.strip().splitlines()) == 1


def test_without_nbformat_the_error_names_the_extra(tmp_path, monkeypatch, capsys):
    path = write_notebook(tmp_path / "nb.ipynb", [COST])
    monkeypatch.setitem(__import__("sys").modules, "nbformat", None)
    assert main([str(path)]) == 2
    assert "skdigits[grade]" in capsys.readouterr().err


def test_grade_globals_from_a_running_notebook():
    """A notebook cell calls grade(globals()); the report renders as HTML."""
    namespace = {"__name__": "__main__"}
    exec(COST, namespace)
    exec(
        "import numpy as np\n"
        "from skdigits.course import grade, nn_cost_function, sigmoid_gradient\n"
        "def sigmoidGradient(z):\n"
        "    g = sigmoid(z)\n"
        "    return g * (1 - g)\n"
        "print('a learner print')\n"
        "predict = np.zeros(3)  # a result, not the function\n"
        "report = grade(globals())\n",
        namespace,
    )
    report = namespace["report"]
    assert report.passed, str(report)
    # The learner's functions are graded, not the course's imported beside them.
    assert report.convention.startswith("row-major")
    assert report.parts["predict"].passed is None
    html = report._repr_html_()
    assert "Convention: row-major unrolling" in html and "<table>" in html
    assert "course grader&#x27;s network" in html
