"""The Keras wing: everything of skdigits that imports Keras, and the engine's guard.

(The Keras engine itself is :mod:`skdigits._backends._keras`, the one
module outside this package that imports TensorFlow.) ``layers`` (the
course's cross-entropy, an exact L2, the network builder), ``export``
(``to_keras``), ``course`` (the course's Keras model and the diagnosis of a
user's) and ``diagnosis`` (that diagnosis's checks: penalty, loss, layers,
inputs, optimizer). Importing this package imports neither; every entry
point goes through :func:`require_keras`, the one import guard.
"""

import importlib.util


def require_keras(what):
    """Raise a clear ImportError naming ``what`` when Keras is not installed."""
    if importlib.util.find_spec("keras") is None:
        raise ImportError(
            f"{what} needs Keras and TensorFlow, which are not installed. "
            'Install them with: pip install "skdigits[keras]"'
        )
