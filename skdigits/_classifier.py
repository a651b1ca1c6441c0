"""The estimator: parameters, and the fit as named steps.

The checks that depend on the data are in :mod:`skdigits._validation`, the
per-iteration progress and early stopping in :mod:`skdigits._monitor`, the
optimisation in :mod:`skdigits._optimize`.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from skdigits._backends import BACKENDS, make_objective
from skdigits._dask import is_dask_collection
from skdigits._monitor import (
    EarlyStopping,
    Monitor,
    Progress,
    holdout_split,
    warn_not_converged,
)
from skdigits._network import (
    HIDDEN_ACTIVATIONS,
    OUTPUT_ACTIVATIONS,
    forward_logits,
    initial_theta,
    layer_copies,
    log_proba_from_logits,
    theta_from_layers,
)
from skdigits._optimize import (
    MINIBATCH_SOLVERS,
    SOLVERS,
    Schedule,
    make_method,
    minimize,
)
from skdigits._validation import (
    FiniteOnFirstEvaluation,
    check_init_matrices,
    check_labels_known,
    check_n_classes,
    check_target,
    check_warm_start,
    check_warm_start_classes,
    check_weight_total,
    class_indices,
    class_weight_factors,
    first_evaluation_checks_finite,
    layer_sizes,
    partial_fit_classes,
    target_labels,
    weight_samples,
)

try:  # scikit-learn >= 1.9: progress bars and monitors through callbacks
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # pragma: no cover - older scikit-learn

    class CallbackSupportMixin:
        """Stand-in for scikit-learn < 1.9, which has no callback API."""


def _is_minibatch(estimator):
    if not estimator._method().minibatch:
        raise AttributeError(
            f"partial_fit is only available for the minibatch solvers "
            f"{MINIBATCH_SOLVERS}, not solver={estimator.solver!r}."
        )
    return True


class MLPDigitClassifier(CallbackSupportMixin, ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier trained by backpropagation.

    The defaults are the network of exercise 4 of the Machine Learning course:
    one hidden layer of 25 sigmoid units, one sigmoid output unit per class, the
    binary cross-entropy summed over the outputs and averaged over the samples,
    an L2 penalty ``alpha / (2 m)`` on the non-bias weights with ``alpha = 1``,
    and every initial weight drawn uniformly in ``[-0.12, 0.12]``.

    The objective minimised is

    .. math::

        J(\\theta) = \\frac{\\sum_i s_i \\ell_i}{\\sum_i s_i}
        + \\frac{\\alpha}{2 \\sum_i s_i} \\sum_{l} \\lVert W_l \\rVert_F^2

    with sample weights :math:`s_i` (all one by default). With unit weights it
    is exactly the course's cost and the loss of scikit-learn's
    :class:`~sklearn.neural_network.MLPClassifier` fed one-hot targets.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(25,)
        Number of units of each hidden layer.

    activation : {'logistic', 'tanh', 'relu'}, default='logistic'
        Activation of the hidden units.

    out_activation : {'logistic', 'softmax'}, default='logistic'
        ``'logistic'``: one sigmoid unit per class and the binary cross-entropy
        summed over the units (the course's cost). ``'softmax'``: a softmax layer
        and the categorical cross-entropy.

    solver : {'lbfgs', 'cg', 'tnc', 'sgd', 'adam'}, default='lbfgs'
        ``'lbfgs'``, ``'cg'`` (nonlinear conjugate gradient, the family of the
        course's ``fmincg``) and ``'tnc'`` (truncated Newton) are full-batch
        solvers from :func:`scipy.optimize.minimize`; ``'sgd'`` and ``'adam'``
        are minibatch solvers.

    alpha : float, default=1.0
        Strength of the L2 penalty: the course's ``lambda``.

    backend : {'numpy', 'keras'}, default='numpy'
        Engine computing the loss and its gradient. Both compute the same
        objective; the fitted state is NumPy arrays either way.

    init : {'uniform', 'glorot'} or list of ndarray, default='uniform'
        ``'uniform'``: every weight, bias included, uniform in
        ``[-epsilon_init, epsilon_init]``, as the course's
        ``randInitializeWeights``. ``'glorot'``: uniform with the Glorot bound
        ``sqrt(6 / (fan_in + fan_out))``. A list gives the initial weights
        themselves, one course-layout matrix of shape ``(n_out, 1 + n_in)``
        (bias in column 0) per layer.

    epsilon_init : float, default=0.12
        Half-width of the ``'uniform'`` initialisation interval.

    max_iter : int, default=200
        Maximum number of iterations (epochs for ``'sgd'`` and ``'adam'``).

    tol : float, default=1e-4
        Tolerance: gradient norm for the full-batch solvers, loss (or validation
        score) improvement for the minibatch solvers and early stopping.

    batch_size : int or 'auto', default='auto'
        Minibatch size for ``'sgd'`` and ``'adam'``; ``'auto'`` is
        ``min(200, n_samples)``.

    learning_rate_init : float, default=0.001
        Step size of ``'sgd'`` and ``'adam'``.

    momentum : float, default=0.9
        Momentum of ``'sgd'``.

    nesterovs_momentum : bool, default=True
        Whether ``'sgd'`` uses Nesterov's momentum.

    beta_1 : float, default=0.9
        Decay rate of Adam's first-moment estimate.

    beta_2 : float, default=0.999
        Decay rate of Adam's second-moment estimate.

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    shuffle : bool, default=True
        Whether the minibatch solvers shuffle the samples every epoch.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified) and
        stop once the validation accuracy has not improved by ``tol`` for
        ``n_iter_no_change`` iterations; the best weights are kept. Works with
        every solver.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    n_iter_no_change : int, default=10
        Iterations without improvement before stopping (early stopping, and
        the minibatch solvers' convergence test).

    class_weight : dict or 'balanced', default=None
        Weights per class, multiplied into the sample weights.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the validation split and the shuffling.
        The same integer gives bit-identical fits.

    warm_start : bool, default=False
        Start the next ``fit`` from the current weights.

    verbose : int, default=0
        Print one line per iteration when positive.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix of layer ``i``, of shape
        ``(n_in, n_out)``.

    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i``, of shape
        ``(n_out,)``.

    loss_ : float
        Objective value at the returned weights.

    loss_curve_ : list of float
        Objective after each iteration (each epoch for the minibatch solvers),
        since the weights were initialised.

    best_loss_ : float or None
        Smallest value of ``loss_curve_``: the best training objective reached.
        None with ``early_stopping``, where ``best_validation_score_`` decides
        which weights are kept (as in MLPClassifier).

    n_iter_ : int
        Number of iterations run since the weights were initialised.

    validation_scores_ : list of float or None
        Validation accuracy after each iteration, with ``early_stopping``.

    best_validation_score_ : float or None
        Best validation accuracy, with ``early_stopping``.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when ``X`` has string column names.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units (one per class).

    out_activation_ : str
        Output activation used.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The MLP of scikit-learn; its ``alpha``
        is the same penalty.

    Examples
    --------
    >>> import numpy as np
    >>> from skdigits import MLPDigitClassifier
    >>> from skdigits.datasets import load_digits
    >>> X, y = load_digits(size=8, return_X_y=True)
    >>> clf = MLPDigitClassifier(max_iter=400, random_state=0).fit(X, y)
    >>> clf.n_iter_ < clf.max_iter  # converged: the result does not hang on max_iter
    True
    >>> clf.score(X, y)
    0.99...
    >>> bool(np.isclose(clf.predict_proba(X[:1]).sum(), 1.0))
    True
    """

    _parameter_constraints = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "out_activation": [StrOptions(set(OUTPUT_ACTIVATIONS))],
        "solver": [StrOptions(set(SOLVERS))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "backend": [StrOptions(set(BACKENDS))],
        "init": [StrOptions({"uniform", "glorot"}), list, tuple],
        "epsilon_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(25,),
        activation="logistic",
        out_activation="logistic",
        solver="lbfgs",
        alpha=1.0,
        backend="numpy",
        init="uniform",
        epsilon_init=0.12,
        max_iter=200,
        tol=1e-4,
        batch_size="auto",
        learning_rate_init=0.001,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        class_weight=None,
        random_state=None,
        warm_start=False,
        verbose=0,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.out_activation = out_activation
        self.solver = solver
        self.alpha = alpha
        self.backend = backend
        self.init = init
        self.epsilon_init = epsilon_init
        self.max_iter = max_iter
        self.tol = tol
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,)
            Class labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; a weight of 2 counts a sample twice.

        Returns
        -------
        self : MLPDigitClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(_is_minibatch)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of the minibatch solver on a chunk of data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,)
            Class labels.

        classes : array-like of shape (n_classes,), default=None
            All the classes; required on the first call.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : MLPDigitClassifier
            The updated estimator.
        """
        fitted = self.classes_ if hasattr(self, "coefs_") else None
        classes = partial_fit_classes(
            classes, fitted, early_stopping=self.early_stopping
        )
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        """Fit, or leave the estimator exactly as it was if the fit fails."""
        saved = {k: v for k, v in vars(self).items() if _is_fit_state(k)}
        try:
            return self._fit_once(X, y, sample_weight, incremental, classes)
        except BaseException:
            for name in [k for k in vars(self) if _is_fit_state(k)]:
                delattr(self, name)
            vars(self).update(saved)
            raise

    def _fit_once(self, X, y, sample_weight, incremental, classes):
        """The fit as named steps: validate, initial state, validation split,
        run the solver, set the fitted state."""
        # Start from new weights, or continue from the fitted ones.
        reset = not hasattr(self, "coefs_") or not (incremental or self.warm_start)
        method = self._method()
        total, deferred, scale = None, False, None
        if is_dask_collection(X) or is_dask_collection(y):
            X, y, y_index, classes, sample_weight, total, scale = (
                self._validate_dask(X, y, sample_weight, classes, reset, incremental)
            )
        else:
            # X's finiteness is checked here, or by the first evaluation.
            deferred = not incremental and first_evaluation_checks_finite(
                X,
                backend=self.backend,
                minibatch=method.minibatch,
                early_stopping=self.early_stopping,
            )
            X, y, y_index, classes = self._validate(
                X, y, classes, reset, incremental, check_finite=not deferred
            )
            sample_weight = self._sample_weights(sample_weight, X, y)
        sizes = layer_sizes(self.hidden_layer_sizes, X.shape[1], len(classes))
        # One generator, drawn in a fixed order: init, split, shuffling.
        rng = check_random_state(self.random_state)
        theta0, history, opt_state = self._initial_state(sizes, rng, reset)
        fit_data, validation, total = self._validation_split(
            X, y, y_index, sample_weight, total, rng, incremental
        )
        # Callbacks score copies of the estimator during the fit: they need
        # classes_ from the first iteration on. The rest of the fitted state is
        # set once, at the end.
        self.classes_ = classes
        schedule = self._schedule(incremental)
        monitor = self._monitor(X, y, sizes, validation, history, schedule.max_iter)
        objective = self._objective(*fit_data, len(classes), sizes, total)
        if deferred:
            objective = FiniteOnFirstEvaluation(
                objective, X, estimator_name=type(self).__name__
            )
        try:
            result = self._run(
                objective, theta0, method, schedule, monitor, rng, opt_state
            )
        finally:
            objective.close()
        theta, loss = monitor.kept(result)
        coefs, intercepts = layer_copies(theta.astype(X.dtype), sizes)
        early = monitor.early_stopping
        self._set_fitted(
            classes=classes,
            coefs=coefs,
            intercepts=intercepts,
            loss=float(loss),
            loss_curve=history["loss"],
            validation_scores=None if early is None else early.scores,
            best_validation_score=None if early is None else early.best_score,
            penalty_factor=objective.penalty_factor,
            optimizer_state=result.state,
        )
        monitor.progress.close(self.coefs_, self.intercepts_)
        if not incremental and result.status in ("max_iter", "failed"):
            warn_not_converged(
                result,
                solver=self.solver,
                max_iter=self.max_iter,
                tol_stops=self.early_stopping or method.minibatch,
                X=X,
                scale=scale,
            )
        return self

    def _validate(self, X, y, classes, reset, incremental, check_finite=True):
        """Checked ``X`` and ``y``, the label indices and the classes; X's
        finiteness only with ``check_finite``."""
        # The finiteness check sums X; inf + -inf must raise its clear
        # ValueError, not a RuntimeWarning first.
        with np.errstate(invalid="ignore", over="ignore"):
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse="csr",
                dtype=(np.float64, np.float32),
                reset=reset,
                ensure_all_finite=check_finite,
            )
        found = target_labels(y)
        if not reset:
            classes = self.classes_
            if not incremental:
                check_warm_start_classes(found, classes)
        elif classes is None:
            classes = check_n_classes(found)
        check_labels_known(found, classes)
        return X, y, class_indices(y, classes), classes

    def _validate_dask(self, X, y, sample_weight, classes, reset, incremental):
        """The checks of :meth:`_validate` and :meth:`_sample_weights` for Dask
        collections, the data staying on the workers: ``(X, y, label indices,
        classes, sample weights, their total, max |x|)``, the arrays
        persisted."""
        import dask

        from skdigits._dask import check_data, fit_statistics, label_indices, per_row

        X, y, sample_weight = check_data(X, y, sample_weight)
        if not reset and X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but MLPDigitClassifier is "
                f"expecting {self.n_features_in_} features as input."
            )
        X, y, sample_weight = dask.persist(X, y, sample_weight)
        found, counts, total, smallest, scale = fit_statistics(X, y, sample_weight)
        if not np.isfinite(scale):
            raise ValueError("Input X contains NaN or infinity.")
        if smallest < 0:
            raise ValueError("Negative values in sample_weight passed to fit.")
        # The distinct labels stand for y: each twice, so that scikit-learn does
        # not take them for a target with more than 50% unique values.
        check_target(np.repeat(found, 2))
        if not reset:
            classes = self.classes_
            if not incremental:
                check_warm_start_classes(found, classes)
        elif classes is None:
            classes = check_n_classes(found)
        check_labels_known(found, classes)
        y_index = label_indices(y, classes)
        if self.class_weight is not None:
            factors = class_weight_factors(self.class_weight, classes, found, counts)
            sample_weight = sample_weight * per_row(y_index, factors)
            total = sample_weight.sum().compute()
        check_weight_total(float(total))
        (y_index, sample_weight) = dask.persist(y_index, sample_weight)
        if reset:
            self.n_features_in_ = int(X.shape[1])
            vars(self).pop("feature_names_in_", None)
        return (
            X,
            y,
            y_index,
            np.asarray(classes),
            sample_weight,
            float(total),
            float(scale),
        )

    def _sample_weights(self, sample_weight, X, y):
        """Checked sample weights times the class weights."""
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        return weight_samples(sample_weight, self.class_weight, y)

    def _initial_state(self, layer_sizes, rng, reset):
        """``(theta0, history, optimizer state)``: fresh, or the warm start's."""
        if reset:
            if not isinstance(self.init, str):
                check_init_matrices(self.init, layer_sizes)
            theta0 = initial_theta(
                layer_sizes, self.init, self.epsilon_init, rng, np.float64
            )
            return theta0, {"loss": [], "val": []}, None
        check_warm_start(self.coefs_, layer_sizes)
        history = {
            "loss": list(self.loss_curve_),
            "val": list(self.validation_scores_ or []),
        }
        theta0 = theta_from_layers(self.coefs_, self.intercepts_, np.float64)
        return theta0, history, self._optimizer_state_

    def _validation_split(self, X, y, y_index, w, total, rng, incremental):
        """``((X, y_index, w) to fit, (X, y, w) to score or Nones, total
        weight to fit)``; the total is known (not None) for Dask arrays."""
        if not self.early_stopping or incremental:
            return (X, y_index, w), (None, None, None), total
        if total is not None:
            from skdigits._dask import holdout_split as split
        else:
            split = holdout_split
        fit, held, *fit_total = split(
            X, y, y_index, w, fraction=self.validation_fraction, rng=rng
        )
        return fit, held, (fit_total or [None])[0]

    def _schedule(self, incremental):
        """The driver's schedule: one epoch for ``partial_fit``."""
        return Schedule(
            max_iter=1 if incremental else self.max_iter,
            tol=self.tol,
            # Early stopping and partial_fit leave stopping to the monitor.
            n_iter_no_change=None
            if (self.early_stopping or incremental)
            else self.n_iter_no_change,
            batch_size=None if self.batch_size == "auto" else self.batch_size,
            shuffle=self.shuffle,
        )

    def _monitor(self, X, y, layer_sizes, validation, history, max_iter):
        """The driver's ``on_iteration``: progress, and early stopping when
        ``validation`` holds a split to score."""
        init_context = getattr(self, "_init_callback_context", None)
        context = None if init_context is None else init_context(max_subtasks=max_iter)
        progress = Progress(
            history["loss"],
            verbose=self.verbose,
            layer_sizes=layer_sizes,
            context=context,
            # Per-iteration tasks (and the copies of the weights they hand
            # over) only when callbacks are registered, as LogisticRegression
            # does.
            report_iterations=context is not None and hasattr(self, "_skl_callbacks"),
            estimator=self,
            X=X,
            y=y,
        )
        if validation[0] is None:
            return Monitor(progress)
        if is_dask_collection(validation[0]):
            from skdigits._dask import DaskEarlyStopping as EarlyStopping_
        else:
            EarlyStopping_ = EarlyStopping
        early = EarlyStopping_(
            *validation,
            classes=self.classes_,
            activation=self.activation,
            layer_sizes=layer_sizes,
            tol=self.tol,
            patience=self.n_iter_no_change,
            scores=history["val"],
        )
        return Monitor(progress, early)

    def _objective(self, X, y_index, sample_weight, n_classes, layer_sizes, total):
        """The objective on the rows to fit, with one-hot targets, computed
        by the backend's engine (on the workers for Dask arrays, whose weight
        ``total`` was computed there)."""
        if total is not None:
            from skdigits._dask import DaskObjective

            return DaskObjective(
                X,
                y_index,
                sample_weight,
                total=total,
                l2=self.alpha,
                layer_sizes=layer_sizes,
                activation=self.activation,
                out_activation=self.out_activation,
                backend=self.backend,
            )
        Y = np.eye(n_classes, dtype=X.dtype).take(y_index, axis=0)
        return make_objective(
            X,
            Y,
            sample_weight,
            l2=self.alpha,
            layer_sizes=layer_sizes,
            activation=self.activation,
            out_activation=self.out_activation,
            backend=self.backend,
        )

    def _run(self, objective, theta0, method, schedule, monitor, rng, opt_state):
        """The driver's result; after Ctrl-C, the last completed iteration."""
        try:
            return minimize(
                objective,
                theta0,
                method,
                schedule,
                on_iteration=monitor,
                rng=rng,
                state=opt_state,
            )
        except KeyboardInterrupt as exc:
            result = monitor.interrupted()
            result.state = getattr(exc, "optimizer_state", opt_state) or {}
            return result

    def _set_fitted(
        self,
        *,
        classes,
        coefs,
        intercepts,
        loss,
        loss_curve,
        validation_scores=None,
        best_validation_score=None,
        penalty_factor=None,
        optimizer_state=None,
    ):
        """Write the fitted state: the one place every path (fit, partial_fit,
        :func:`skdigits.course.classifier_from_thetas`) sets it."""
        self.classes_ = np.asarray(classes)
        self.coefs_, self.intercepts_ = list(coefs), list(intercepts)
        self.n_features_in_ = self.coefs_[0].shape[0]
        self.n_layers_ = len(self.coefs_) + 1
        self.n_outputs_ = self.coefs_[-1].shape[1]
        self.out_activation_ = self.out_activation
        self.loss_ = loss
        self.loss_curve_ = list(loss_curve)
        self.n_iter_ = len(self.loss_curve_)
        # The best training loss, as MLPClassifier's; with early stopping the
        # validation score decides instead.
        self.best_loss_ = (
            None
            if validation_scores is not None or not self.loss_curve_
            else min(self.loss_curve_)
        )
        self.validation_scores_ = validation_scores
        self.best_validation_score_ = (
            None if best_validation_score is None else float(best_validation_score)
        )
        # alpha / sum(sample_weight) of the fit, for to_keras; None when the
        # weights were not fitted to data.
        self._penalty_factor_ = penalty_factor
        self._optimizer_state_ = {} if optimizer_state is None else optimizer_state

    # ------------------------------------------------------------- predict

    def _logits(self, X):
        check_is_fitted(self)
        with np.errstate(invalid="ignore", over="ignore"):
            X = validate_data(
                self,
                X,
                accept_sparse="csr",
                dtype=(np.float64, np.float32),
                reset=False,
            )
        return forward_logits(X, self.coefs_, self.intercepts_, self.activation)

    def _map_chunks(self, method, X, n_columns, dtype=None):
        """``method`` over the chunks of the Dask collection ``X``, lazily;
        ``dtype`` that of its result, by default the weights'."""
        from skdigits._dask import predict_blocks

        check_is_fitted(self)
        if dtype is None:
            dtype = self.coefs_[0].dtype
        if len(X.shape) != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has shape {X.shape}, but MLPDigitClassifier is expecting "
                f"{self.n_features_in_} features as input."
            )
        return predict_blocks(method, X, n_columns=n_columns, dtype=dtype)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted labels, among ``classes_``; a lazy Dask array when ``X``
            is one.
        """
        if is_dask_collection(X):
            return self._map_chunks(self.predict, X, None, self.classes_.dtype)
        logits = self._logits(X)
        return self.classes_[np.argmax(logits, axis=1)]

    def predict_log_proba(self, X):
        """Log of the class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``; a lazy
            Dask array when ``X`` is one.
        """
        if is_dask_collection(X):
            n = len(self.classes_)
            return self._map_chunks(self.predict_log_proba, X, n)
        log_proba = log_proba_from_logits(self._logits(X), self.out_activation_)
        # In the weights' precision, also where float32 logits overflowed and
        # were computed in float64 (see forward_logits); a log-probability
        # below float32's range is -inf there, the log of a probability of 0.
        with np.errstate(over="ignore"):
            return log_proba.astype(self.coefs_[0].dtype, copy=False)

    def predict_proba(self, X):
        """Class probabilities; each row sums to 1.

        With ``out_activation='logistic'`` the output units' activations are
        normalised over the classes, which keeps their arg-max.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``; a lazy Dask
            array when ``X`` is one.
        """
        if is_dask_collection(X):
            n = len(self.classes_)
            return self._map_chunks(self.predict_proba, X, n)
        return np.exp(self.predict_log_proba(X))

    def score(self, X, y, sample_weight=None):
        """Mean accuracy of :meth:`predict` on ``X`` against ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples; a Dask array is scored on its workers.

        y : array-like of shape (n_samples,)
            True labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            Accuracy, weighted by ``sample_weight``.
        """
        if not (is_dask_collection(X) or is_dask_collection(y)):
            return super().score(X, y, sample_weight)
        import dask

        from skdigits._dask import check_data

        X, y, w = check_data(X, y, sample_weight)
        hits, total = dask.compute(((self.predict(X) == y) * w).sum(), w.sum())
        return float(hits / total)

    def to_keras(self):
        """A compiled Keras model holding the fitted network and its objective.

        The model has the estimator's layers, with ``coefs_`` and
        ``intercepts_`` as kernels and biases, in Keras's default float type
        (``keras.backend.floatx()``, float32 unless configured otherwise). It is
        compiled with the estimator's objective: the cross-entropy of
        ``out_activation`` (summed over the sigmoid units for ``'logistic'``)
        averaged over the samples, plus an L2 penalty
        ``alpha / (2 * sum(sample_weight))`` on every kernel (not the biases),
        the sample weights being those of the fit. So, on the training data
        with unit sample weights and one-hot targets ``Y`` whose columns follow
        ``classes_``, ``model.evaluate(X, Y)`` reports the objective at the
        fitted weights: ``loss_`` for the full-batch solvers (for ``'sgd'`` and
        ``'adam'``, ``loss_`` is the last epoch's mean minibatch loss).

        ``model.predict`` returns the output units' activations (sigmoid, or
        softmax), one column per class of ``classes_``; their arg-max gives
        :meth:`predict`'s classes, and :meth:`predict_proba` is them normalised.
        The optimizer is the estimator's ``'sgd'`` or ``'adam'`` (with its
        moments after the fit), or Adam with ``learning_rate_init`` for the
        full-batch solvers, which Keras does not have. A classifier that has
        seen no data (:func:`skdigits.course.classifier_from_thetas`) has no
        ``sum(sample_weight)`` to scale the penalty by: its model has no L2 term.

        Keras and TensorFlow are imported here; the estimator keeps no Keras
        object.

        Returns
        -------
        model : keras.Model
            The compiled network, with a ``categorical_accuracy`` metric
            named ``'accuracy'``.

        Examples
        --------
        >>> import numpy as np
        >>> from skdigits import MLPDigitClassifier
        >>> from skdigits.datasets import load_digits
        >>> X, y = load_digits(size=8, return_X_y=True)
        >>> clf = MLPDigitClassifier(max_iter=300, random_state=0).fit(X, y)
        >>> model = clf.to_keras()
        >>> loss, accuracy = model.evaluate(X, np.eye(10)[y], verbose=0)
        >>> bool(np.isclose(loss, clf.loss_, rtol=1e-5))
        True
        >>> bool(np.all(clf.classes_[model.predict(X, verbose=0).argmax(1)]
        ...             == clf.predict(X)))
        True
        """
        check_is_fitted(self)
        minibatch = self._method().minibatch
        # Keras has no full-batch methods: those export Adam, afresh.
        method = self._method(None if minibatch else "adam")
        from skdigits._keras import require_keras

        require_keras("to_keras()")
        from skdigits._keras.export import fitted_model

        return fitted_model(
            self.coefs_,
            self.intercepts_,
            activation=self.activation,
            out_activation=self.out_activation_,
            l2=0.0 if self._penalty_factor_ is None else self._penalty_factor_ / 2,
            method=method,
            optimizer_state=self._optimizer_state_ if minibatch else None,
        )

    def _method(self, solver=None):
        """The driver's method config for ``solver`` (default: ``self.solver``)."""
        return make_method(
            self.solver if solver is None else solver,
            learning_rate=self.learning_rate_init,
            momentum=self.momentum,
            nesterov=self.nesterovs_momentum,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _is_fit_state(name):
    """Whether an attribute is state that ``fit`` sets (and must restore on failure)."""
    return name.endswith("_") and not name.startswith("__")


def classifier_from_weights(coefs, intercepts, classes, **params):
    """A fitted :class:`MLPDigitClassifier` with ``params`` holding the given
    weights, as if fitted to no data (no loss, an empty loss curve).

    :func:`skdigits.course.classifier_from_thetas` builds its classifier here,
    so that the fitted state is written by ``_set_fitted``, as for every fit.
    """
    clf = MLPDigitClassifier(**params)
    clf._set_fitted(
        classes=classes,
        coefs=coefs,
        intercepts=intercepts,
        loss=None,
        loss_curve=[],
    )
    return clf
