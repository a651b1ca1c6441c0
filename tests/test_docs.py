"""The ``>>>`` examples of the documentation's pages run and give what they show."""

import doctest
import warnings
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(
    path
    for path in DOCS.rglob("*.rst")
    if not {"_build", "auto_examples", "generated", "_templates"} & set(path.parts)
)


def test_pages_found():
    if not DOCS.is_dir():
        pytest.skip("no docs/ directory in this checkout")
    assert DOCS / "quick_start.rst" in PAGES


@pytest.mark.parametrize(
    "page", PAGES, ids=[str(path.relative_to(DOCS)) for path in PAGES]
)
def test_page_examples(page):
    with warnings.catch_warnings():
        # The course's recipe stops at max_iter on purpose.
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = doctest.testfile(
            str(page),
            module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
            raise_on_error=False,
            verbose=False,
            report=True,
        )
    assert result.failed == 0, f"{result.failed} example(s) failed in {page.name}"
