"""Sphinx configuration of the skdigits documentation.

Build it from the repository root, offline, with warnings as errors::

    pip install -e ".[docs]"
    sphinx-build -W -b html docs docs/_build/html

The build needs no network: the intersphinx inventories of Python, NumPy, SciPy,
scikit-learn and Matplotlib are fetched only when ``SKDIGITS_DOCS_ONLINE=1`` is
set, and MathJax is served from the build itself (``sphinx-mathjax-offline``).
"""

import os
import sys
from pathlib import Path

from threadpoolctl import threadpool_limits

import skdigits

# The gallery's matrices are small (at most a few thousand rows by 400
# columns). On a machine with few cores that is busy with other work, BLAS
# threads contending for them make every product many times slower than one
# thread does, so the examples run with SKDIGITS_DOCS_BLAS_THREADS BLAS threads
# (default 1). The examples that report timings print the thread count.
threadpool_limits(int(os.environ.get("SKDIGITS_DOCS_BLAS_THREADS", "1")), "blas")

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "sphinxext"))

project = "skdigits"
author = "the skdigits developers"
copyright = "the skdigits developers"
release = skdigits.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax copied into _static: no CDN
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
html_static_path = ["_static"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
default_role = "literal"
nitpicky = False

# -- autodoc / autosummary / numpydoc ----------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# -- intersphinx: opt-in, so an offline build neither fetches nor warns --------
if os.environ.get("SKDIGITS_DOCS_ONLINE") == "1":
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scipy": ("https://docs.scipy.org/doc/scipy", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "matplotlib": ("https://matplotlib.org/stable", None),
    }
else:
    intersphinx_mapping = {}

# -- pages that exist only once other parts of the package have landed --------
# ``.. only:: keras_pitfalls_example`` links to the Keras pitfalls example when
# the file is there, and falls back to a plain sentence otherwise, so that the
# build never refers to a page it does not have.
if (DOCS.parent / "examples" / "plot_keras_pitfalls.py").exists():
    tags.add("keras_pitfalls_example")  # noqa: F821 (provided by Sphinx)

# -- sphinx-gallery ------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("skdigits",),
    "backreferences_dir": "generated",
    "reference_url": {"skdigits": None},
    "within_subsection_order": "gallery_order.ExampleOrder",
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 0,
    "abort_on_example_error": True,
    "matplotlib_animations": False,
}

# -- HTML: the pydata theme, with no asset loaded from the network --------------
html_theme = "pydata_sphinx_theme"
html_title = f"skdigits {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False
html_css_files = ["skdigits.css"]
