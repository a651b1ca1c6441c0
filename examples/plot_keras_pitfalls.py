"""
===========================================================
Why the learner's Keras model learned nothing, with numbers
===========================================================

skdigits began with a learner's Keras version of the course's network (exercise
4: 400 pixels, 25 sigmoid hidden units, 10 sigmoid outputs, lambda = 1) that
trained to about 10% accuracy, i.e. chance:

.. code-block:: python

    model = Sequential([
        Dense(25, activation="sigmoid", kernel_regularizer=l2(1), input_shape=(400,)),
        Dense(10, activation="sigmoid", kernel_regularizer=l2(1)),
    ])
    model.compile(optimizer=SGD(learning_rate=0.01),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, one_hot_y, epochs=100, batch_size=len(X))

with every initial weight uniform in [-0.12, 0.12]. Three things are wrong. This
example reproduces the learner's model on 5000 real MNIST digits at the
course's 20x20 layout (:func:`~skdigits.datasets.load_mnist_5k`), sorted by
label as the course's ``ex4data1.mat`` is, measures what each mistake
costs on its own (the other two put right), and shows the fixes:
:func:`~skdigits.course.build_keras_model` (the course's network and
cost in Keras), :func:`~skdigits.course.diagnose_keras_model` (which
names the mistakes), and :class:`~skdigits.MLPDigitClassifier` with
``backend="keras"``.

Each run reports the training accuracy (``ex4.m`` reports it) and the course's
cost ``J`` of the trained weights; every run starts from the same initial
weights.
"""

# %%
# The data and the learner's model
# --------------------------------
import textwrap
import time
import warnings

import keras
import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdigits import MLPDigitClassifier
from skdigits.course import build_keras_model, diagnose_keras_model
from skdigits.datasets import load_mnist_5k

start = time.perf_counter()
keras.utils.set_random_seed(0)  # Keras shuffles the minibatches of model.fit
X, y = load_mnist_5k(size=20, return_X_y=True)
order = np.argsort(y, kind="stable")  # sorted by label, as ex4data1.mat
X, y = X[order], y[order]
Y = np.eye(10)[y]
m = len(X)
print(f"{m} images of {X.shape[1]} pixels in [{X.min():g}, {X.max():g}]")

# The course's initial weights: Theta of shape (n_out, 1 + n_in), bias column
# first, uniform in [-0.12, 0.12]; in Keras, kernel = Theta[:, 1:].T.
rng = np.random.RandomState(0)
thetas = [rng.uniform(-0.12, 0.12, (25, 401)), rng.uniform(-0.12, 0.12, (10, 26))]
initial_weights = [w for T in thetas for w in (T[:, 1:].T, T[:, 0])]


def summed_binary_crossentropy(y_true, y_pred):
    """The course's cost per sample: binary cross-entropy summed over units."""
    return keras.ops.sum(keras.ops.binary_crossentropy(y_true, y_pred), axis=-1)


def learner_model(l2=1.0, loss="categorical_crossentropy", optimizer=None):
    """The learner's model, with one mistake or another put right."""
    model = keras.Sequential(
        [
            keras.Input(shape=(400,)),
            keras.layers.Dense(
                25, activation="sigmoid", kernel_regularizer=keras.regularizers.l2(l2)
            ),
            keras.layers.Dense(
                10, activation="sigmoid", kernel_regularizer=keras.regularizers.l2(l2)
            ),
        ]
    )
    model.set_weights(initial_weights)
    model.compile(
        optimizer=optimizer or keras.optimizers.SGD(learning_rate=0.01),
        loss=loss,
        metrics=["accuracy"],
    )
    return model


# The course's cost J of any weights: the course's network in Keras evaluates it.
course = build_keras_model(n_samples=m)


def train(model, epochs=100, batch_size=m):
    model.fit(X, Y, epochs=epochs, batch_size=batch_size, verbose=0)
    accuracy = np.mean(model.predict(X, verbose=0).argmax(axis=1) == y)
    course.set_weights(model.get_weights())
    return accuracy, course.evaluate(X, Y, verbose=0)[0]


results = {}
learner = learner_model()
results["the learner's model"] = train(learner)
print(
    "the learner's model: training accuracy {:.1%}, course cost J = {:.3f}".format(
        *results["the learner's model"]
    )
)

# %%
# What :func:`~skdigits.course.diagnose_keras_model` says about it
# ------------------------------------------------------------------------
# With the data, a short probe trains clones of the model (as given, then
# with each fix) and ranks what keeps it from training by the measured gain.
diagnosis = diagnose_keras_model(
    learner, X=X, y=Y, epochs=100, batch_size=m, time_budget=20
)
print(diagnosis.summary)
for finding in diagnosis:
    print(
        textwrap.fill(
            f"[{finding.kind}] {finding}",
            79,
            initial_indent="- ",
            subsequent_indent="  ",
        )
    )

# %%
# Mistake 1: ``l2(1)`` is ``2m`` times the course's penalty
# ---------------------------------------------------------
# Keras adds ``c * sum(W**2)`` to the *mean* loss; the course adds
# ``lambda / (2m) * sum(W**2)``. So ``l2(1)`` is lambda = 2m = 3594: the penalty
# pins every weight near zero, the ten outputs become equal, and the data term
# of the learner's loss settles at that of a uniform guess, ln 10.
kernels = [w for w in learner.get_weights() if w.ndim == 2]
data_term = keras.losses.categorical_crossentropy(Y, learner.predict(X, verbose=0))
print(
    "largest kernel weight after the learner's training:",
    f"{max(np.abs(k).max() for k in kernels):.2e};",
    f"data term of its loss {np.mean(data_term):.4f}, ln 10 = {np.log(10):.4f}",
)

# %%
# It costs everything on its own: with the course's loss and a working
# optimizer (Adam, minibatches of 64, 50 epochs), ``l2(1)`` still leaves chance.
adam_epochs = dict(epochs=50, batch_size=64)
course_l2 = 1 / (2 * m)
results["only the penalty wrong (Adam)"] = train(
    learner_model(
        loss=summed_binary_crossentropy,
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
    ),
    **adam_epochs,
)

# %%
# Mistake 2: categorical cross-entropy on a sigmoid layer
# -------------------------------------------------------
# Keras 3 does not renormalise the sigmoid outputs: it takes the logits cached
# with them and computes the *softmax* cross-entropy.
probe = learner_model(l2=0.0)
outputs = probe.predict(X[:200], verbose=0)
z = np.log(outputs) - np.log1p(-outputs)  # the pre-sigmoid logits
softmax_ce = np.mean(np.log(np.exp(z).sum(axis=1)) - (Y[:200] * z).sum(axis=1))
normalised = outputs / outputs.sum(axis=1, keepdims=True)
renormalised_ce = -np.mean(np.log((Y[:200] * normalised).sum(axis=1)))
keras_ce = probe.evaluate(X[:200], Y[:200], verbose=0)[0]
print(f"Keras's categorical_crossentropy: {keras_ce:.6f}")
print(f"softmax cross-entropy of the logits: {softmax_ce:.6f}")
print(f"cross-entropy of the renormalised sigmoids: {renormalised_ce:.6f}")

# %%
# That objective still ranks the classes (the arg-max of the sigmoids is that
# of the logits), so on its own this mistake does not cost accuracy; it costs
# the course's cost: the sigmoid units are not fitted as the course's ten
# one-vs-all probabilities, and ``J``, what ``ex4.m`` reports, stays an order of
# magnitude above the course's.
results["only the loss wrong (Adam)"] = train(
    learner_model(l2=course_l2, optimizer=keras.optimizers.Adam(learning_rate=0.01)),
    **adam_epochs,
)

# %%
# Mistake 3: 100 full-batch SGD steps at learning rate 0.01
# ---------------------------------------------------------
# Even with the course's cost and penalty, 100 steps of 0.01 add up to a total
# step of 1: the weights barely move. Plain gradient descent on this cost needs
# a total of about 100 (here 100 steps of learning rate 1); the course uses
# ``fmincg``, 50 conjugate-gradient iterations with line searches.
results["only the optimizer wrong (SGD 100 x 0.01)"] = train(
    learner_model(l2=course_l2, loss=summed_binary_crossentropy)
)
results["penalty and loss right, SGD 100 x 1"] = train(
    learner_model(
        l2=course_l2,
        loss=summed_binary_crossentropy,
        optimizer=keras.optimizers.SGD(learning_rate=1.0),
    )
)

# %%
# All three fixed
# ---------------
# :func:`~skdigits.course.build_keras_model` is the course's network and
# cost in Keras (``l2(lambda / (2m))`` on the kernels, the summed binary
# cross-entropy), trained here on minibatches with Adam; the diagnosis finds
# nothing to report.
fixed = build_keras_model(n_samples=m)
fixed.set_weights(initial_weights)
results["none wrong: build_keras_model (Adam)"] = train(fixed, **adam_epochs)
print("findings:", list(diagnose_keras_model(fixed, n_samples=m)))

# %%
# The usual advice: ReLU, softmax and Adam
# ----------------------------------------
# A learner with the learner's 10% usually hears: use ReLU hidden units, a
# softmax output and Adam. Kept with the learner's ``l2(1)``, that model still
# fails, because the penalty, not the model, is the root cause; with
# ``l2(1 / (2m))`` it learns. The diagnosis of the ReLU model still leads with
# the penalty.


def advice_model(l2):
    model = keras.Sequential(
        [
            keras.Input(shape=(400,)),
            keras.layers.Dense(
                25, activation="relu", kernel_regularizer=keras.regularizers.l2(l2)
            ),
            keras.layers.Dense(
                10, activation="softmax", kernel_regularizer=keras.regularizers.l2(l2)
            ),
        ]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model


advice = {}
for name, l2, fit in [
    ("ReLU/softmax/Adam, l2(1), full batch, 100 epochs", 1.0, dict(epochs=100)),
    (
        "ReLU/softmax/Adam, l2(1), batch 32, 20 epochs",
        1.0,
        dict(epochs=20, batch_size=32),
    ),
    (
        "ReLU/softmax/Adam, l2(1 / (2m)), batch 32, 20 epochs",
        1 / (2 * m),
        dict(epochs=20, batch_size=32),
    ),
]:
    keras.utils.set_random_seed(0)
    model = advice_model(l2)
    model.fit(X, Y, verbose=0, **{"batch_size": m, **fit})
    advice[name] = np.mean(model.predict(X, verbose=0).argmax(axis=1) == y)
learner_name = "the learner's model (sigmoid, categorical, SGD 100 x 0.01)"
advice[learner_name] = results["the learner's model"][0]
width = max(map(len, advice))
for name, accuracy in advice.items():
    print(f"{name:{width}}  {accuracy:6.1%}")
print("first finding for the ReLU model with l2(1):")
print(textwrap.fill(str(diagnose_keras_model(advice_model(1.0), n_samples=m)[0]), 79))

# %%
# skdigits' Keras backend with the course's settings
# ---------------------------------------------------
# ``backend="keras"`` computes the course's cost with TensorFlow and hands it
# to the same SciPy optimizer as the NumPy backend. With ``fmincg``'s settings
# (nonlinear conjugate gradient, 50 iterations, lambda = 1), from the same
# initial weights:
clf = MLPDigitClassifier(backend="keras", solver="cg", max_iter=50, init=thetas)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)  # stopped at max_iter
    clf.fit(X, y)
results["MLPDigitClassifier(backend='keras', solver='cg')"] = (
    clf.score(X, y),
    clf.loss_,
)
print(f"training accuracy {clf.score(X, y):.1%}, J = {clf.loss_:.4f}")
exported = clf.to_keras()
print(
    f"to_keras().evaluate: J = {exported.evaluate(X, Y, verbose=0)[0]:.4f};",
    "findings:",
    list(diagnose_keras_model(exported, n_samples=m)),
)

# %%
# Summary
# -------
width = max(map(len, results))
print(f"{'':{width}}  accuracy  course cost J")
for name, (accuracy, cost) in results.items():
    print(f"{name:{width}}  {accuracy:8.1%}  {cost:13.4f}")
print(f"(whole example: {time.perf_counter() - start:.0f} s)")

fig, ax = plt.subplots(figsize=(8, 5))
names = list(results)
ax.barh(names, [100 * results[n][0] for n in names], color="tab:blue")
ax.axvline(10, color="gray", linestyle="--", label="chance (10%)")
ax.set_xlabel("training accuracy (%)")
ax.invert_yaxis()
ax.legend(loc="lower right")
ax.set_title("What each of the learner's mistakes costs")
fig.tight_layout()
plt.show()
