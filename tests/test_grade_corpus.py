"""The grader on a corpus of learners' programs: 0 false fails, 0 false passes.

tests/grade_corpus/ holds exercise 4 programs written as learners write them,
in both editions' conventions and the interfaces real learners use (see
make_corpus.py there), and notebooks in the Python edition's layout;
expected.json says the outcome of every part of each, the diagnosis of every
failing part and the convention the report must name.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skdigits.course import grade

CORPUS = Path(__file__).parent / "grade_corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
NOTEBOOK = CORPUS / "python_edition" / "Exercise4" / "exercise4.ipynb"


def check(report, expected, name):
    got = {part: r.passed for part, r in report.parts.items()}
    assert got == expected["parts"], f"{name}\n{report}"
    for part, diagnosis in expected["diagnosis"].items():
        assert report.parts[part].diagnosis == diagnosis, (name, part, str(report))
    for part, phrase in expected.get("message_has", {}).items():
        assert phrase in report.parts[part].message, (part, report.parts[part])
    for part, phrase in expected.get("message_lacks", {}).items():
        assert phrase not in report.parts[part].message, (part, report.parts[part])
    if expected["convention"]:
        assert report.convention.startswith(expected["convention"]), report.convention
    elif any(p is not None for p in expected["parts"].values()):
        assert report.convention.startswith("not detected"), report.convention


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_program(name):
    pytest.importorskip("nbformat") if name.endswith(".ipynb") else None
    expected = EXPECTED[name]
    report = grade(CORPUS / name)
    check(report, expected, name)
    for result in report.parts.values():
        assert "\n" not in result.message and result.message
    if "printed" in expected:
        assert expected["printed"] in report.output
        assert expected["printed"] not in str(report)
    if "gradient_named" in expected:
        named = expected["gradient_named"]
        report = grade(CORPUS / name, gradient=named["name"])
        assert {p: r.passed for p, r in report.parts.items()} == named["parts"]


def test_corpus_size_and_coverage():
    """At least 20 programs, both editions, notebooks, every named mistake."""
    programs = [n for n in EXPECTED if n.endswith(".py")]
    notebooks = [n for n in EXPECTED if n.endswith(".ipynb")]
    assert len(programs) >= 20 and len(notebooks) >= 3
    diagnoses = {d for e in EXPECTED.values() for d in e["diagnosis"].values()}
    assert {
        "gradient_regularization_not_over_m",
        "bias_zeroed_in_input",
        "wrong_shape",
        "template",
        "labels_inconsistent",
        "unrolling_inconsistent",
    } <= diagnoses
    conventions = {e["convention"] for e in EXPECTED.values()}
    assert len(conventions - {None}) >= 3


def test_notebook_from_the_command_line_in_under_10_s():
    """``python -m skdigits grade exercise4.ipynb``, run as ``-m`` runs it, and
    the modules it imported: no scikit-learn, TensorFlow or Keras (the
    notebook's utils.py imports matplotlib)."""
    pytest.importorskip("nbformat")
    code = (
        "import atexit, runpy, sys\n"
        "atexit.register(lambda: print('heavy:', sorted({m.split('.')[0] for m in "
        "sys.modules} & {'sklearn', 'tensorflow', 'keras'}), file=sys.stderr))\n"
        f"sys.argv = ['skdigits', 'grade', {str(NOTEBOOK)!r}]\n"
        "sys.exit(runpy.run_module('skdigits', run_name='__main__'))\n"
    )
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=CORPUS.parent.parent,
    )
    seconds = time.perf_counter() - start
    assert run.returncode == 0, run.stdout + run.stderr
    assert seconds < 10, seconds
    assert "heavy: []" in run.stderr
    out = run.stdout
    assert out.startswith("Convention: row-major unrolling, labels 0..K-1")
    assert "the course's Python edition" in out
    assert "6 of 6 submitted parts passed" in out
    assert "course grader's network (2-4-4, m = 16" in out
    # The notebook's prints (its cells that call the functions are not run,
    # and utils' Grader never submits) do not reach the report.
    assert "Cost at parameters" not in out


@pytest.mark.parametrize("with_utils", [False, True])
def test_notebook_away_from_the_course_folders_is_graded_with_a_stand_in_utils(
    tmp_path, with_utils
):
    """The corpus' correct notebook alone (downloaded from a hosted notebook,
    say), or beside utils.py without submission.py above: its functions call
    ``utils.sigmoid`` and the course's utils.py cannot be imported. It passes
    as in the course's folders, with a note saying so; also right after a
    notebook graded in the course's folders, whose utils.py put '..' on the
    import path."""
    pytest.importorskip("nbformat")
    grade(NOTEBOOK)
    alone = tmp_path / NOTEBOOK.name
    alone.write_bytes(NOTEBOOK.read_bytes())
    if with_utils:
        (tmp_path / "utils.py").write_bytes((NOTEBOOK.parent / "utils.py").read_bytes())
    report = grade(alone)
    check(report, EXPECTED["python_edition/Exercise4/exercise4.ipynb"], alone.name)
    missing = "submission" if with_utils else "utils"
    assert any(
        f"could not import the course's utils.py (ModuleNotFoundError: No module "
        f"named '{missing}')" in note
        for note in report.notes
    ), report.notes
    assert "utils" not in sys.modules
