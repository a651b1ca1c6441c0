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
from skdigits.__main__ import main
from skdigits.datasets import load_digits

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


def test_walk_through_on_a_course_file_with_the_course_weights(tmp_path, capsys, agg):
    if not EX4WEIGHTS.is_file():
        pytest.skip(f"the course's weights are not at {EX4WEIGHTS}")
    digits = load_digits()
    keep = np.concatenate([np.flatnonzero(digits.target == d)[:30] for d in range(10)])
    X = np.stack([image.ravel(order="F") for image in digits.images[keep]])
    y = np.where(digits.target[keep] == 0, 10, digits.target[keep])[:, None]
    scipy.io.savemat(tmp_path / "ex4data1.mat", {"X": X, "y": y})
    args = ["--data", str(tmp_path / "ex4data1.mat"), "--weights", str(EX4WEIGHTS)]
    assert main([*args, "--out", str(tmp_path / "out"), *QUICK]) == 0
    stdout = capsys.readouterr().out
    assert "the course's file" in stdout and "300 images of 20x20" in stdout
    assert "Cost at the pretrained weights (--weights)" in stdout
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
    tmp_path, capsys, monkeypatch, agg
):
    real = skdigits._classifier.get_backend

    def get_backend(name):
        if name == "keras":
            raise ImportError("no Keras here")
        return real(name)

    monkeypatch.setattr(skdigits._classifier, "get_backend", get_backend)
    monkeypatch.setattr(
        "skdigits.__main__.importlib.util.find_spec", lambda name: object()
    )
    assert main(["--out", str(tmp_path), "--max-iter", "2"]) == 0
    assert "Keras backend is not available: skipped (no Keras here)" in (
        capsys.readouterr().out
    )


@pytest.mark.skipif(
    importlib.util.find_spec("keras") is None, reason="Keras is not installed"
)
def test_keras_backend_in_the_walk_through(tmp_path, capsys, agg):
    pytest.importorskip("skdigits._keras.objective")
    assert main(["--out", str(tmp_path), "--max-iter", "3"]) == 0
    stdout = capsys.readouterr().out
    assert "Same fit, backend='keras'" in stdout
    difference = float(re.search(r"difference ([\d.e+-]+)\)", stdout).group(1))
    assert difference < 1e-6
    assert (tmp_path / "keras_loss.png").is_file()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--data", "nowhere/ex4data1.mat"], "--data: .*not found: no file at"),
        (["--weights", "nowhere/ex4weights.mat"], "--weights: .*not found"),
        (["--max-iter", "0"], "--max-iter must be at least 1"),
        (["--lambda", "-1"], "--lambda must be >= 0"),
        (["--max-iter", "many"], "invalid int value"),
    ],
)
def test_bad_arguments_exit_with_code_2(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as info:
        main(["--out", str(tmp_path), *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("python -m skdigits: error:")
    assert re.search(message, err[-1])


def test_unwritable_out_exits_with_code_2(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("in the way")
    with pytest.raises(SystemExit) as info:
        main(["--out", str(blocker / "report")])
    assert info.value.code == 2
    assert "--out: cannot write to" in capsys.readouterr().err


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
