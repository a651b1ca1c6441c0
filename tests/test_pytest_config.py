"""The project's pytest configuration: what the README's test command reports."""

import subprocess
import sys
from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_short_summary_names_failures_errors_and_skips(tmp_path):
    if not PYPROJECT.is_file():
        pytest.skip("no pyproject.toml in this checkout")
    (tmp_path / "test_tiny.py").write_text(
        "import pytest\n"
        "\n"
        "@pytest.fixture\n"
        "def broken():\n"
        "    raise RuntimeError('fixture broke')\n"
        "\n"
        "def test_fails():\n"
        "    assert 1 == 2\n"
        "\n"
        "def test_errors(broken):\n"
        "    pass\n"
        "\n"
        "def test_skips():\n"
        "    pytest.skip('not here')\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(PYPROJECT),
            "--rootdir",
            str(tmp_path),
            "-p",
            "no:cacheprovider",
            # The configuration's options, in one process: xdist's workers
            # would only add seconds of start-up to three tiny tests.
            "-n0",
            str(tmp_path / "test_tiny.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    summary = result.stdout.split("short test summary info")[-1]
    assert "FAILED test_tiny.py::test_fails" in summary, result.stdout
    assert "ERROR test_tiny.py::test_errors" in summary, result.stdout
    assert "SKIPPED" in summary and "not here" in summary, result.stdout
