"""
Grid search on a Dask cluster
=============================

The same :class:`~sklearn.model_selection.GridSearchCV` code runs on one machine or
on a Dask cluster: joblib's ``dask`` backend sends each fit to the cluster's
workers. Fitted ``MLPDigitClassifier`` objects hold NumPy arrays only, so they
travel between processes and machines without special handling.

Install the extra with ``pip install "skdigits[dask]"``. This script starts a
local cluster of two worker processes; to use a real cluster, pass its scheduler
address instead, for example ``Client("tcp://scheduler.example.org:8786")``, and
make sure the workers have skdigits installed.

(This example is not executed when the documentation is built.)
"""

# sphinx_gallery_thumbnail_path = '_static/dask_grid_search.png'

# %%
import joblib
from distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV

from skdigits import MLPDigitClassifier
from skdigits.datasets import load_digits

if __name__ == "__main__":
    X, y = load_digits(size=20, return_X_y=True)

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    client = Client(cluster)  # or Client("tcp://<scheduler-address>:8786")

    search = GridSearchCV(
        MLPDigitClassifier(solver="cg", max_iter=50, random_state=0),
        {"alpha": [0.3, 1.0, 3.0], "hidden_layer_sizes": [(25,), (50,)]},
        cv=5,
        n_jobs=-1,
    )
    with joblib.parallel_config(backend="dask"):
        search.fit(X, y)

    print("best parameters:", search.best_params_)
    print(f"best 5-fold accuracy: {search.best_score_:.4f}")
    client.close()
    cluster.close()
