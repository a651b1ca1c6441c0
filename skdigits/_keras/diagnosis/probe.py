"""Short training runs on clones of a Keras model, within a time budget.

Every run trains a fresh clone (the user's model and weights are never
touched) from the same initial weights, on the same data order, for the same
number of steps, and reports its training accuracy; a run whose fit raises
reports the error instead.
"""

import math
import time
import warnings
from dataclasses import dataclass

import keras
import numpy as np

# A clone runs this many steps per call of its compiled train function: the
# tiny models diagnosed here spend most of their time in Python otherwise.
_STEPS_PER_EXECUTION = 16


@dataclass(frozen=True)
class Run:
    accuracy: float | None  # None when the fit raised
    error: str | None
    steps: int
    seconds: float


class _Deadline(keras.callbacks.Callback):
    def __init__(self, deadline):
        super().__init__()
        self.deadline = deadline

    def on_train_batch_end(self, batch, logs=None):
        if time.perf_counter() > self.deadline:
            self.model.stop_training = True


def _clone(facts, edits, input_shape):
    layer_edits = [edit for edit in edits if edit is not None]

    def clone_layer(layer):
        config = layer.get_config()
        for edit in layer_edits:
            config = edit(layer, config, facts)
        return layer.__class__.from_config(config)

    clone = keras.models.clone_model(facts.model, clone_function=clone_layer)
    if not clone.built:
        clone.build((None, *input_shape))
    return clone


class Probe:
    """Runs of the model as given and with fixes, sharing one budget."""

    def __init__(self, facts, X, y, *, epochs, batch_size, budget, seed=0):
        self.facts, self.X, self.y = facts, X, y
        self.epochs, self.batch_size = epochs, min(batch_size, len(X))
        self.steps_per_epoch = math.ceil(len(X) / self.batch_size)
        self.asked_steps = epochs * self.steps_per_epoch
        self.steps = self.asked_steps  # lowered by the first run if cut
        self.start = time.perf_counter()
        self.deadline = self.start + budget
        self.budget = budget
        self.seed = seed
        self._initial = None
        self._last_seconds = 0.0
        # Until a run trains (the model as given may fail), each run is cut
        # at this share of the budget; that run then sets the steps of all.
        self.share = budget
        self._settled = False

    @property
    def elapsed(self):
        return time.perf_counter() - self.start

    def can_run(self):
        """Whether another run fits in what is left of the budget."""
        left = self.deadline - time.perf_counter()
        return left > self._last_seconds and left > 0

    def run(self, candidates=()):
        """Train a clone with ``candidates``' fixes applied; the first run
        that trains sets the number of steps every later run takes."""
        began = time.perf_counter()
        deadline = self.deadline
        if not self._settled:
            deadline = min(deadline, began + self.share)
        X, y = self.X, self.y
        for candidate in candidates:
            if candidate.data_edit is not None:
                X, y = candidate.data_edit(X, y)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = self._build(candidates, X.shape[1:])
                steps = self._fit(model, X, y, deadline)
                accuracy = self._accuracy(model, X, y)
            error = None
        except Exception as exc:  # noqa: BLE001 - the user's fit failing is a finding
            steps, accuracy = 0, None
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}"
        seconds = time.perf_counter() - began
        self._last_seconds = max(self._last_seconds, seconds)
        return Run(accuracy, error, steps, seconds)

    def _build(self, candidates, input_shape):
        facts = self.facts
        model = _clone(facts, [c.layer_edit for c in candidates], input_shape)
        if self._initial is None:
            self._initial = [
                [np.array(w) for w in layer.get_weights()] for layer in model.layers
            ]
        else:
            for layer, weights in zip(model.layers, self._initial):
                current = layer.get_weights()
                if len(current) == len(weights) and all(
                    a.shape == b.shape for a, b in zip(current, weights)
                ):
                    layer.set_weights(weights)
        original = facts.model.optimizer
        config = original.get_config()
        for candidate in candidates:
            if candidate.optimizer_edit is not None:
                config = candidate.optimizer_edit(config)
        optimizer = type(original).from_config(config)
        loss = facts.model.loss
        for candidate in candidates:
            if candidate.loss is not None:
                loss = candidate.loss
        compile_config = facts.model.get_compile_config() or {}
        model.compile(
            optimizer=optimizer,
            loss=loss,
            loss_weights=compile_config.get("loss_weights"),
            steps_per_execution=_STEPS_PER_EXECUTION,
        )
        return model

    def _fit(self, model, X, y, deadline):
        import tensorflow as tf

        m = len(X)
        if self.batch_size >= m:
            dataset = tf.data.Dataset.from_tensors((X, y)).repeat(self.epochs)
        else:
            # Shuffled row indices, gathered a batch at a time: slicing the
            # rows one by one costs more than the tiny models' steps.
            Xt, yt = tf.constant(X), tf.constant(y)
            dataset = (
                tf.data.Dataset.range(m)
                .shuffle(m, seed=self.seed, reshuffle_each_iteration=True)
                .batch(self.batch_size)
                .repeat(self.epochs)
                .map(lambda rows: (tf.gather(Xt, rows), tf.gather(yt, rows)))
            )
        dataset = dataset.take(self.steps).prefetch(2)
        model.fit(dataset, epochs=1, verbose=0, callbacks=[_Deadline(deadline)])
        steps = int(model.optimizer.iterations.numpy())
        if not self._settled:
            self.steps = max(min(steps, self.steps), 1)  # all runs alike
            self._settled = True
        return steps

    def _accuracy(self, model, X, y):
        # Eager calls: predict would trace a new function for every clone.
        outputs = np.concatenate(
            [
                np.asarray(model(X[i : i + 2048], training=False))
                for i in range(0, len(X), 2048)
            ]
        ).reshape(len(X), -1)
        y = np.asarray(y)
        targets = np.argmax(y, axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.ravel()
        if outputs.shape[1] == 1:
            if self.facts.loss_kind == "binary":
                threshold = 0.0 if self.facts.from_logits else 0.5
                predicted = (outputs[:, 0] > threshold).astype(int)
            else:
                predicted = np.rint(outputs[:, 0])
        else:
            predicted = np.argmax(outputs, axis=1)
        if not np.all(np.isfinite(outputs)):
            return 0.0
        try:
            return float(np.mean(predicted == targets))
        except (TypeError, ValueError):
            return 0.0

    def describe_steps(self, steps=None):
        """``'15 epochs'``, or what the budget allowed of them."""
        steps = self.steps if steps is None else steps
        asked = f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}"
        if steps >= self.asked_steps:
            return asked
        done = steps / self.steps_per_epoch
        return f"{done:.2g} of the {asked} (what the time budget allowed)"
