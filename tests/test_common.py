"""scikit-learn's estimator checks, over the configurations users pick.

No configuration lists an expected failure. (The minibatch solvers pass the
sample-weight equivalence checks because those checks' data fit in one
minibatch; on larger data a duplicated row and a row of weight 2 land in
different batches, so only the full-batch objective is exactly equivalent.)
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skdigits import MLPDigitClassifier

ESTIMATORS = [
    MLPDigitClassifier(),
    MLPDigitClassifier(out_activation="softmax"),
    MLPDigitClassifier(solver="cg"),
    MLPDigitClassifier(solver="tnc"),
    MLPDigitClassifier(activation="relu", init="glorot"),
    MLPDigitClassifier(solver="sgd", learning_rate_init=0.1),
    MLPDigitClassifier(solver="adam", learning_rate_init=0.01),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
