"""Grid search on a Dask cluster through joblib gives the serial result.

The workers are other processes: they run the same code on one BLAS thread, as
the serial fits do (the driver's policy for small networks), but memory
alignment may differ, so the floats are compared to a tight tolerance.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score

from skdigits import MLPDigitClassifier

distributed = pytest.importorskip("distributed")
joblib = pytest.importorskip("joblib")


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _search():
    return GridSearchCV(
        MLPDigitClassifier(hidden_layer_sizes=(8,), max_iter=15, random_state=0),
        {"alpha": [0.1, 1.0], "solver": ["lbfgs", "cg"]},
        cv=3,
    )


def test_grid_search_on_dask_equals_serial(client, small_digits):
    X, y = small_digits
    clf = MLPDigitClassifier(hidden_layer_sizes=(8,), max_iter=15, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        serial = _search().fit(X, y)
        serial_scores = cross_val_score(clf, X, y, cv=3)
        with joblib.parallel_config(backend="dask"):
            distributed_ = _search().set_params(n_jobs=-1).fit(X, y)
            scores = cross_val_score(clf, X, y, cv=3, n_jobs=-1)
    for key in ("mean_test_score", "std_test_score"):
        np.testing.assert_allclose(
            serial.cv_results_[key], distributed_.cv_results_[key], rtol=1e-12
        )
    np.testing.assert_array_equal(
        serial.cv_results_["rank_test_score"],
        distributed_.cv_results_["rank_test_score"],
    )
    assert serial.best_params_ == distributed_.best_params_
    np.testing.assert_allclose(
        serial.best_estimator_.coefs_[0],
        distributed_.best_estimator_.coefs_[0],
        rtol=1e-9,
        atol=1e-12,
    )
    np.testing.assert_allclose(scores, serial_scores, rtol=1e-12)
    # The fits really ran on the cluster: both workers imported skdigits.
    assert list(client.run(_skdigits_imported).values()) == [True, True]


def _skdigits_imported():
    import sys

    return "skdigits" in sys.modules
