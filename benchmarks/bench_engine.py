"""One cost+gradient evaluation against the matrix products it contains.

For the course network (400-25-10 on the bundled digits at 20x20), times

- ``evaluation``: the NumPy backend's ``loss_and_grad(theta)``;
- ``its products``: the five matrix products of an evaluation alone, at the
  same shapes and memory layouts (forward: ``B1.T @ [1; X.T]``,
  ``B2.T @ [1; A1]``; backward: ``D2 @ [1; A1].T``, ``W2 @ D2``,
  ``D1 @ [1, X]``);
- ``row-layout products``: the same arithmetic in the row layout that
  scikit-learn's MLP uses (``X @ W1``, ``A1 @ W2``, ``A1.T @ D2``,
  ``D2 @ W2.T``, ``X.T @ D1``), for reference;

interleaved, and reports medians, the ratio evaluation / products and the
achieved GFLOP/s (2 flops per multiply-add of the products).

Then the profile: each stage of an evaluation timed alone with the engine's own
kernels (line timing), and a cProfile of one L-BFGS fit of skdigits and of
scikit-learn, split into the objective, SciPy's L-BFGS-B routine ``setulb``
and the rest, per iteration.

Run: ``python benchmarks/bench_engine.py [--rounds 200] [--max-iter 100]``
"""

import argparse
import cProfile
import pstats
import time
import warnings

import numpy as np
from _common import (
    THREAD_MODES,
    interleave,
    load,
    median,
    print_environment,
    print_table,
    thread_mode,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from skdigits import MLPDigitClassifier
from skdigits._backends import _numpy as engine
from skdigits._backends import make_objective
from skdigits._network import initial_theta, layer_views
from skdigits.datasets import load_digits

LAYERS = [400, 25, 10]


def problem(dtype):
    X, y = load_digits(size=20, return_X_y=True)
    X = X.astype(dtype)
    Y = np.eye(10)[y]
    f = make_objective(
        X,
        Y,
        np.ones(len(y)),
        l2=1.0,
        layer_sizes=LAYERS,
        activation="logistic",
        out_activation="logistic",
    )
    theta = initial_theta(LAYERS, "uniform", 0.12, np.random.RandomState(0))
    return X, Y, f, theta


def operands(X, theta, dtype):
    """Arrays of an evaluation's shapes and layouts, filled with its values."""
    rng = np.random.RandomState(0)
    n = X.shape[0]
    t = theta.astype(dtype)
    B1, B2 = layer_views(t, LAYERS)
    X1T = np.vstack([np.ones((1, n), dtype), X.T])
    A1 = np.vstack([np.ones((1, n), dtype), rng.rand(25, n).astype(dtype)])
    return {
        "X1T": X1T,
        "X1": np.ascontiguousarray(X1T.T),
        "B1": B1,
        "B2": B2,
        "A1": A1,
        "Z2": np.empty((10, n), dtype),
        "D2": rng.rand(10, n).astype(dtype),
        "D1": rng.rand(25, n).astype(dtype),
        "GT1": np.empty((25, 401), dtype),
        "GT2": np.empty((10, 26), dtype),
        # Row layout.
        "X": np.ascontiguousarray(X),
        "W1": np.ascontiguousarray(B1[1:]),
        "W2": np.ascontiguousarray(B2[1:]),
        "A1r": np.ascontiguousarray(A1[1:].T),
        "Z1r": np.empty((n, 25), dtype),
        "Z2r": np.empty((n, 10), dtype),
        "D2r": rng.rand(n, 10).astype(dtype),
        "D1r": np.empty((n, 25), dtype),
        "G1r": np.empty((400, 25), dtype),
        "G2r": np.empty((25, 10), dtype),
    }


def engine_products(o):
    np.matmul(o["B1"].T, o["X1T"], out=o["A1"][1:])
    np.matmul(o["B2"].T, o["A1"], out=o["Z2"])
    np.matmul(o["D2"], o["A1"].T, out=o["GT2"])
    np.matmul(o["B2"][1:], o["D2"], out=o["D1"])
    np.matmul(o["D1"], o["X1"], out=o["GT1"])


def row_products(o):
    np.matmul(o["X"], o["W1"], out=o["Z1r"])
    np.matmul(o["A1r"], o["W2"], out=o["Z2r"])
    np.matmul(o["A1r"].T, o["D2r"], out=o["G2r"])
    np.matmul(o["D2r"], o["W2"].T, out=o["D1r"])
    np.matmul(o["X"].T, o["D1r"], out=o["G1r"])


def clock(fn):
    def run():
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    return run


def evaluation_table(rounds):
    rows = []
    for mode in THREAD_MODES:
        for dtype in (np.float64, np.float32):
            X, Y, f, theta = problem(dtype)
            o = operands(X, theta, dtype)
            with thread_mode(mode):
                for fn in (lambda: f(theta), lambda: engine_products(o)):
                    fn()  # warm up
                res = interleave(
                    {
                        "eval": clock(lambda: f(theta)),
                        "prod": clock(lambda: engine_products(o)),
                        "row": clock(lambda: row_products(o)),
                    },
                    rounds,
                )
            ev, pr, ro = (median(res[k]) for k in ("eval", "prod", "row"))
            gflop = 2 * f.multiply_adds / 1e9
            rows.append(
                [
                    mode,
                    np.dtype(dtype).name,
                    f"{ev * 1e3:.3f}",
                    f"{pr * 1e3:.3f}",
                    f"{ev / pr:.2f}",
                    f"{gflop / ev:.1f}",
                    f"{gflop / pr:.1f}",
                    f"{ro * 1e3:.3f}",
                ]
            )
    print(
        f"Evaluation vs its own matrix products ({2 * f.multiply_adds / 1e6:.1f} "
        f"MFLOP per evaluation), medians of {rounds} interleaved rounds:\n"
    )
    print_table(
        [
            "BLAS threads",
            "dtype",
            "evaluation ms",
            "its products ms",
            "ratio",
            "evaluation GFLOP/s",
            "products GFLOP/s",
            "row-layout products ms",
        ],
        rows,
    )


def stage_table(rounds):
    """Each stage of an evaluation, timed alone with the engine's kernels."""
    rows = []
    for dtype in (np.float64, np.float32):
        X, Y, f, theta = problem(dtype)
        o = operands(X, theta, dtype)
        n = X.shape[0]
        YT = np.ascontiguousarray(Y.T.astype(dtype))
        Z1 = np.random.RandomState(1).randn(25, n).astype(dtype)
        Z2 = np.random.RandomState(2).randn(10, n).astype(dtype) * 3
        W1, W2 = o["B1"][1:], o["B2"][1:]
        grad = np.empty(theta.size)
        g1, g2 = layer_views(grad, LAYERS)
        work = {k: np.empty_like(v) for k, v in {"Z1": Z1, "Z2": Z2}.items()}
        tmp1, tmp2, D2 = np.empty_like(Z1), np.empty_like(Z2), np.empty_like(Z2)
        w = np.full(n, 1 / n, dtype)

        def hidden_activation():
            np.copyto(work["Z1"], Z1)
            engine._sigmoid(work["Z1"])

        def output_loss_and_error():
            np.copyto(work["Z2"], Z2)
            losses = engine._logistic_output(work["Z2"], YT, D2, tmp2)
            float(np.dot(losses, w).sum())
            np.multiply(D2, w, out=D2)

        def derivative():
            engine._sigmoid_derivative(o["A1"][1:], o["D1"], tmp1)

        def gradient_assembly():
            for g, GT, W in ((g2, o["GT2"], W2), (g1, o["GT1"], W1)):
                np.copyto(g, GT.T)
                g[1:] += 0.001 * W
                float(np.vdot(W, W))

        def copies():  # the copies the element-wise stages start with above
            np.copyto(work["Z1"], Z1)
            np.copyto(work["Z2"], Z2)

        stages = {
            "matrix products (5)": lambda: engine_products(o),
            "hidden sigmoid": hidden_activation,
            "output loss and error": output_loss_and_error,
            "sigmoid derivative": derivative,
            "gradient assembly (transpose, penalty)": gradient_assembly,
            "(input copies, subtracted)": copies,
            "whole evaluation": lambda: f(theta),
        }
        with thread_mode("1 thread"):
            res = interleave({k: clock(v) for k, v in stages.items()}, rounds)
        med = {k: median(v) for k, v in res.items()}
        copy_cost = med.pop("(input copies, subtracted)") / 2
        for k in ("hidden sigmoid", "output loss and error"):
            med[k] -= copy_cost
        whole = med.pop("whole evaluation")
        for k, v in med.items():
            rows.append([np.dtype(dtype).name, k, f"{v * 1e6:.0f}", f"{v / whole:.0%}"])
        rest = whole - sum(med.values())
        rows.append(
            [np.dtype(dtype).name, "rest (Python, small ops)", f"{rest * 1e6:.0f}"]
            + [f"{rest / whole:.0%}"]
        )
        rows.append([np.dtype(dtype).name, "whole evaluation", f"{whole * 1e6:.0f}"])
        rows[-1].append("100%")
    print(f"Line timing of an evaluation, 1 BLAS thread, medians of {rounds}:\n")
    print_table(["dtype", "stage", "us", "share"], rows)


def iteration_profile(max_iter):
    """cProfile of one L-BFGS fit: objective, setulb and the rest."""
    X, y = load_digits(size=20, return_X_y=True)
    Y = np.eye(10)[y]
    rows = []
    for mode in THREAD_MODES:
        for who in ("skdigits", "sklearn"):
            if who == "skdigits":
                clf = MLPDigitClassifier(max_iter=max_iter, tol=0, random_state=0)
                target, objective = y, ("_numpy.py", "__call__")
            else:
                clf = MLPClassifier(
                    (25,),
                    activation="logistic",
                    alpha=1.0,
                    solver="lbfgs",
                    max_iter=max_iter,
                    tol=0,
                    random_state=0,
                )
                target, objective = Y, ("_multilayer_perceptron.py", "_loss_grad_lbfgs")
            profiler = cProfile.Profile()
            with thread_mode(mode), warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                profiler.runcall(clf.fit, X, target)
            stats = pstats.Stats(profiler).stats
            total = max(v[3] for v in stats.values())
            mine = [
                v
                for (file, _, name), v in stats.items()
                if file.endswith(objective[0]) and name == objective[1]
            ]
            obj, n_calls = sum(v[3] for v in mine), sum(v[1] for v in mine)
            setulb = sum(v[2] for k, v in stats.items() if "setulb" in k[2])
            it = clf.n_iter_
            rows.append(
                [
                    mode,
                    who,
                    it,
                    f"{n_calls / it:.2f}",
                    f"{obj / it * 1e3:.2f}",
                    f"{setulb / it * 1e3:.2f}",
                    f"{(total - obj - setulb) / it * 1e3:.2f}",
                    f"{total / it * 1e3:.2f}",
                ]
            )
    print("Where an L-BFGS iteration goes (cProfile of one fit, float64):\n")
    print_table(
        [
            "BLAS threads",
            "library",
            "iterations",
            "evaluations/iter",
            "objective ms/iter",
            "L-BFGS-B setulb ms/iter",
            "rest ms/iter",
            "total ms/iter",
        ],
        rows,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--max-iter", type=int, default=100)
    args = parser.parse_args()
    print_environment("One evaluation vs its matrix products")
    evaluation_table(args.rounds)
    stage_table(args.rounds)
    iteration_profile(args.max_iter)
    print(f"Load average at the end: {load()}")


if __name__ == "__main__":
    main()
