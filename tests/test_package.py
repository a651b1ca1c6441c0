"""The package as a whole: lazy submodules, and where Keras may be imported."""

import subprocess
import sys


def test_submodules_load_on_attribute_access_and_no_optional_dependency():
    # One fresh interpreter (a second of imports each): submodules load on
    # attribute access, and neither importing every public module, the course's
    # Keras helpers and the backends, nor a fit and a prediction imports Keras,
    # TensorFlow or matplotlib.
    code = (
        "import sys, skdigits\n"
        "assert 'sklearn' not in sys.modules\n"
        "assert 'skdigits.datasets' not in sys.modules\n"
        "assert callable(skdigits.datasets.load_digits)\n"
        "assert callable(skdigits.course.nn_cost_function)\n"
        "assert callable(skdigits.plotting.plot_digits)\n"
        "assert 'matplotlib' not in sys.modules\n"
        "assert {'course', 'datasets', 'plotting'} <= set(dir(skdigits))\n"
        "import skdigits.__main__, skdigits._keras.course, skdigits._backends\n"
        "X, y = skdigits.datasets.load_digits(size=8, return_X_y=True)\n"
        "skdigits.MLPDigitClassifier(max_iter=2).fit(X, y).predict(X)\n"
        "bad = [m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True)


def test_only_the_keras_wing_and_engine_import_keras():
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "skdigits"
    offenders = []
    for path in package.rglob("*.py"):
        relative = path.relative_to(package).parts
        if relative[:1] == ("_keras",) or relative == ("_backends", "_keras.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in ("keras", "tensorflow"):
                    offenders.append(f"{path.name}: {name}")
    assert not offenders
