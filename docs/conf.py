"""Sphinx configuration of the skdigits documentation.

Build it from the repository root, offline, with warnings as errors::

    pip install -e ".[docs]"
    sphinx-build -W -b html docs docs/_build/html

The build needs no network: the intersphinx inventories of Python, NumPy, SciPy,
scikit-learn and Matplotlib are fetched only when ``SKDIGITS_DOCS_ONLINE=1`` is
set, and MathJax is served from the build itself (``sphinx-mathjax-offline``).
"""

import os
import re
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
autodoc_typehints = "none"
# "fit()" rather than "MLPDigitClassifier.fit()" in the page's table of contents.
toc_object_entries_show_parents = "hide"
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
# |keras_pitfalls_example| links to the Keras pitfalls example when the file is
# there, and is a plain sentence otherwise, so that the build never refers to a
# page it does not have.
if (DOCS.parent / "examples" / "plot_keras_pitfalls.py").exists():
    _keras_pitfalls_example = (
        "The example :doc:`/auto_examples/plot_keras_pitfalls` reproduces the "
        "Keras model above on the bundled digits, measures what each mistake "
        "costs on its own, and trains the corrected model."
    )
else:
    _keras_pitfalls_example = (
        "The gallery's Keras pitfalls example, which reproduces the Keras model "
        "above and measures each mistake on its own in Keras, comes with the "
        "Keras backend."
    )
rst_epilog = f"""
.. |keras_pitfalls_example| replace:: {_keras_pitfalls_example}
"""

# -- sphinx-gallery ------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("skdigits",),
    "backreferences_dir": "generated",
    "within_subsection_order": "gallery_order.ExampleOrder",
    "download_all_examples": False,
    # The execution-times pages load DataTables from a CDN: not written.
    "write_computation_times": False,
    "show_memory": False,
    "min_reported_time": 0,
    "abort_on_example_error": True,
    "matplotlib_animations": False,
}

# -- HTML: the pydata theme, with no asset loaded from the network --------------
html_theme = "pydata_sphinx_theme"
html_title = "skdigits"
html_theme_options = {
    "navbar_align": "left",
    "navbar_persistent": ["search-button"],
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # Gallery pages give their width to the code and figures.
    "secondary_sidebar_items": {
        "*": ["page-toc"],
        "user_guide/*": ["page-toc"],
        "generated/*": ["page-toc"],
        "auto_examples/*": [],
    },
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# Pages without sub-pages have no section navigation to show.
html_sidebars = {
    page: []
    for page in [
        "index",
        "install",
        "quick_start",
        "course",
        "keras_pitfalls",
        "changelog",
    ]
}
html_context = {"default_mode": "light"}
html_show_sourcelink = False
html_css_files = ["skdigits.css"]


# -- scikit-learn's docstrings, offline ----------------------------------------
# The API pages show the methods MLPDigitClassifier inherits from scikit-learn
# (score, get_params, set_params, ...). Their docstrings refer to labels and
# glossary terms of scikit-learn's own documentation, which only resolve through
# intersphinx; offline, those references are turned into plain text.
_SKLEARN_REFERENCE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^`>]*>)?`")


def _plain_sklearn_references(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if intersphinx_mapping or not module.startswith("sklearn"):
        return
    lines[:] = [_SKLEARN_REFERENCE.sub(r"\1", line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _plain_sklearn_references)
